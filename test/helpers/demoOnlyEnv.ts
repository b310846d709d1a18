/**
 * Empty values override a developer's local.settings.json and shell: a local host given these
 * starts its own Azurite in memory and the demo tenant, whatever the machine has configured.
 */
export const DEMO_ONLY_ENV: Readonly<Record<string, string>> = {
  AzureWebJobsStorage: '',
  AzureWebJobsStorage__accountName: '',
  AzureWebJobsStorage__blobServiceUri: '',
  GRAPH_BASE_URL: '',
  GRAPH_ACCESS_TOKEN: '',
  AZURE_CLIENT_ID: '',
  AZURE_CLIENT_SECRET: '',
  AZURE_CLIENT_CERTIFICATE_PATH: '',
  AZURITE_PORTS: '',
  LOCAL_DATA_DIR: '',
};
