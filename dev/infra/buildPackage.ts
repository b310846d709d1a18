import { buildDeploymentPackage, formatSize } from './DeploymentPackage';
import { REPO_ROOT } from './RepoRoot';

/** azd's prepackage hook (azure.yaml): the lean package azd then uploads from `.deploy/package`. */
const summary = buildDeploymentPackage(REPO_ROOT);
console.log(`Deployment package ${summary.dir}: ${summary.files} files, ${formatSize(summary.bytes)}.`);
