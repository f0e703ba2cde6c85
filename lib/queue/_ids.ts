import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * `cr-` + 9 characters of time + 10 random characters (50 bits): ids sort roughly by
 * creation, read well in logs, and do not collide in practice.
 */
export const newChangeId = (now: number): string => {
  const bytes = randomBytes(10);
  let r = "";
  for (const b of bytes) r += ALPHABET[b & 31];
  return `cr-${now.toString(36).padStart(9, "0")}${r}`;
};
