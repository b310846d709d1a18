/** The square sizes Graph serves profile photos in; `?size=` accepts exactly these. */
export const PHOTO_SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648] as const;

export type PhotoSize = (typeof PHOTO_SIZES)[number];

/** A decimal integer that is one of the sizes; anything else (`096`, `96.0`, ` 96`, `1e2`) is not. */
export function parsePhotoSize(text: string): PhotoSize | undefined {
  if (!/^[1-9][0-9]{1,2}$/.test(text)) return undefined;
  const value = Number(text);
  return (PHOTO_SIZES as readonly number[]).includes(value) ? (value as PhotoSize) : undefined;
}
