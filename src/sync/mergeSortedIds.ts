/**
 * The union of several streams of ids, each already in ascending order, as one ascending stream
 * without repeats, in pages of at most `pageSize`. Holds one pending id per stream: a purge meets
 * the identity table with the photo container's listings this way, whatever their size.
 */
export async function* mergeSortedIds(
  streams: ReadonlyArray<AsyncIterable<string>>,
  pageSize: number,
): AsyncGenerator<string[]> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
  let page: string[] = [];
  let last: string | undefined;
  for (;;) {
    let least: string | undefined;
    for (const head of heads)
      if (head.done !== true && (least === undefined || head.value < least)) least = head.value;
    if (least === undefined) break;
    if (least !== last) page.push(least);
    last = least;
    if (page.length === pageSize) {
      yield page;
      page = [];
    }
    await Promise.all(
      heads.map(async (head, i) => {
        if (head.done !== true && head.value === least) heads[i] = await iterators[i].next();
      }),
    );
  }
  if (page.length > 0) yield page;
}

/** The ids of a paged stream, one at a time. */
export async function* eachId(pages: AsyncIterable<readonly string[]>): AsyncGenerator<string> {
  for await (const page of pages) yield* page;
}
