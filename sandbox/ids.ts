import { randomBytes } from 'node:crypto';

/**
 * UUIDv7-shaped ids: 48 bits of Unix milliseconds, version nibble 7, 12 bits that count up within
 * one millisecond (so ids minted in the same millisecond still sort in creation order), the RFC 9562
 * variant bits, then 62 random bits.
 */
export class UuidV7 {
	private lastMs = -1;
	private counter = 0;

	next(ms: number = Date.now()): string {
		const t = Math.max(0, Math.floor(ms));
		if (t === this.lastMs) {
			this.counter = (this.counter + 1) & 0xfff;
		} else {
			this.lastMs = t;
			this.counter = randomBytes(2).readUInt16BE(0) & 0x7ff;
		}
		const time = t.toString(16).padStart(12, '0').slice(-12);
		const randA = (0x7000 | this.counter).toString(16);
		const tail = randomBytes(8);
		tail[0] = (tail[0] & 0x3f) | 0x80;
		const hex = tail.toString('hex');
		return `${time.slice(0, 8)}-${time.slice(8, 12)}-${randA}-${hex.slice(0, 4)}-${hex.slice(4, 16)}`;
	}
}

export const UUID_V7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An opaque random bearer token. */
export function randomToken(): string {
	return randomBytes(32).toString('base64url');
}
