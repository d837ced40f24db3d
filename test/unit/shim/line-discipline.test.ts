import { describe, expect, it } from 'vitest';
import { LineDiscipline, translateOutput } from '../../../src/shim/stdio/line-discipline.js';

const feed = (d: LineDiscipline, text: string) => d.feed(Buffer.from(text, 'latin1'));

describe('terminal line discipline', () => {
  it('hands over a line when Enter (CR) is typed, as LF, and echoes it', () => {
    const d = new LineDiscipline();
    const partial = feed(d, 'hel');
    expect(partial.toGuest).toEqual([]);
    expect(partial.echo.toString()).toBe('hel');
    const done = feed(d, 'lo\r');
    expect(done.toGuest.map(String)).toEqual(['hello\n']);
    expect(done.echo.toString()).toBe('lo\r\n');
  });

  it('erases the last character on DEL and the whole line on ^U', () => {
    const d = new LineDiscipline();
    const r = feed(d, 'abx\x7fc\r');
    expect(r.toGuest.map(String)).toEqual(['abc\n']);
    expect(r.echo.toString()).toBe('abx\b \bc\r\n');
    expect(feed(d, 'junk\x15ok\r').toGuest.map(String)).toEqual(['ok\n']);
  });

  it('erases a whole multi-byte character at once', () => {
    const d = new LineDiscipline();
    const r = d.feed(Buffer.concat([Buffer.from('é', 'utf8'), Buffer.from('\x7f\r')]));
    expect(r.toGuest.map(String)).toEqual(['\n']);
  });

  it('turns ^C into SIGINT, discarding the line typed so far', () => {
    const d = new LineDiscipline();
    const r = feed(d, 'half\x03');
    expect(r.signal).toBe(2);
    expect(r.toGuest).toEqual([]);
    expect(r.echo.toString()).toBe('half^C\r\n');
  });

  it('turns ^D on an empty line into end of file, and mid-line into a flush without newline', () => {
    const d = new LineDiscipline();
    expect(feed(d, '\x04').endOfFile).toBe(true);
    const r = feed(d, 'ab\x04');
    expect(r.endOfFile).toBeUndefined();
    expect(r.toGuest.map(String)).toEqual(['ab']);
  });

  it('echoes other control characters as ^X', () => {
    expect(feed(new LineDiscipline(), '\x01').echo.toString()).toBe('^A');
  });

  it('writes guest output with CR before each LF (ONLCR)', () => {
    expect(translateOutput(Buffer.from('a\nb\n')).toString()).toBe('a\r\nb\r\n');
    expect(translateOutput(Buffer.from('plain')).toString()).toBe('plain');
  });
});
