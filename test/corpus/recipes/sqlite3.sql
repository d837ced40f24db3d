-- Queries for the sqlite3 corpus case. The build prepends a table
-- doc(n, line) holding the lines of sqlite's README.md.
.headers on
.mode list
select count(*) as lines, sum(length(line)) as chars, max(length(line)) as longest from doc;

-- Split every line into words with a recursive CTE, then rank the words.
create table words as
  with recursive split(n, word, rest) as (
    select n, '', lower(line) || ' ' from doc
    union all
    select n, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
    from split where rest <> ''
  )
  select n, trim(word, '.,;:()[]`"''*#-') as word from split where word <> '';
delete from words where word = '';
create index words_word on words(word);
.mode box
select word, count(*) as uses, min(n) as first_line,
       rank() over (order by count(*) desc, word) as rank
  from words group by word order by uses desc, word limit 15;

.mode markdown
select n, length(line) as len, upper(substr(line, 1, 30)) as head,
       lag(n) over (order by n) as prev, sum(length(line)) over (order by n rows 2 preceding) as win
  from doc where line like '%sqlite%' order by n limit 10;

.mode json
select json_object('word', word, 'lines', json_group_array(n)) as entry
  from (select distinct word, n from words where word glob 'c[ao]*' order by n)
  group by word order by word limit 8;
select key, value, type from json_each('{"a":[1,2.5,"x"],"b":null,"c":{"d":true}}');

.mode csv
select value, value * value, printf('%08.3f|%-6s|%x|%e', value / 7.0, 'ab', value * 4099, value * 1e10),
       hex(char(value + 64, 0x263a)), unicode(char(value + 900))
  from generate_series(1, 25);

.mode line
select hex(sha3('abc', 256)) as sha3_abc, hex(sha3_query('select word from words order by word')) as sha3_words,
       decimal_add('0.1', '0.2') as dec, ieee754(1.0/3) as ieee,
       'SQLite 3' regexp '^SQL[a-z]+ [0-9]$' as re,
       date('2024-02-29', '+1 year') as d1, strftime('%j %W %s', '2001-09-09 01:46:40') as d2,
       julianday('2000-01-01 12:00:00') as jd, 1.0/3 as third, 0.1 + 0.2 as fp, 9e999 as inf,
       printf('%.20e', 1.0 / 3) as pr, round(2.675, 2) as rnd, total(n) / count(*) as avgline
  from doc;

.mode list
create table t(id integer primary key, k text unique, v real, b blob);
insert into t(k, v, b) select 'key' || value, value * 1.5, case value % 3 when 0 then x'00ff' when 1 then zeroblob(2) end from generate_series(1, 6);
update t set v = v * 2 where id % 2 = 0;
insert into t(k, v) values ('key3', 0) on conflict(k) do update set v = -excluded.v - 1;
select * from t;
.dump t
explain query plan select word, count(*) from words where word > 'm' group by word;
select typeof(1), typeof(1.0), typeof('1'), typeof(x'01'), typeof(null), 1 = 1.0, '1' = 1, 10 / 3, 10 % 3, -7 / 2;
