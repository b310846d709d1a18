/** A Graph answer's JSON body, or undefined when it has none (or not JSON): the status still tells. */
export async function readResponseJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}
