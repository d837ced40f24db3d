/**
 * Whether `work` settled (resolved or rejected) before `deadline`, in ms since
 * the epoch as Date.now() gives it. The timer it arms never keeps a thread alive
 * and is cleared as soon as the work settles.
 */
export async function settledBy(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
