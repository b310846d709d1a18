// One closing line any CI can read: "N passed, N failed, N skipped".
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
module.exports = PlainSummaryReporter;
