/** The most entities one Table Storage query page returns. */
export const LIST_PAGE_SIZE = 1000;

/** The most operations one Table Storage transaction may hold. */
export const TRANSACTION_LIMIT = 100;
