// Importing a function file outside the Functions runtime makes @azure/functions say, once per
// registration, that it skipped it. Tests call the exported handlers instead; the notice is noise.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (
    typeof args[0] === 'string' &&
    /package is in test mode|Switching "@azure\/functions" package to test mode/.test(args[0])
  )
    return;
  warn(...args);
};
