import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = -1;
const digits = new Uint8Array(10);

/**
 * `cr-` + 9 characters of time + 10 random characters (50 bits): ids sort by creation, read well
 * in logs, and do not collide in practice. Within one millisecond a process counts up from its
 * random start instead of drawing again, so its ids increase: the indexes keyed by change id
 * (the queue's, the event log's) then take a batch's rows in one place, not one page each.
 */
export const newChangeId = (now: number): string => {
  let i = digits.length - 1;
  if (now === lastTime) {
    for (; i >= 0 && digits[i] === 31; i--) digits[i] = 0;
    if (i >= 0) digits[i]!++;
  }
  if (now !== lastTime || i < 0) {
    lastTime = now;
    const bytes = randomBytes(digits.length);
    for (let k = 0; k < digits.length; k++) digits[k] = bytes[k]! & 31;
  }
  let r = "";
  for (const d of digits) r += ALPHABET[d];
  return `cr-${now.toString(36).padStart(9, "0")}${r}`;
};
