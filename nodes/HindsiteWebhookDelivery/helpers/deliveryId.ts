// Pure validation of a delivery id coming from an expression. Nothing is sent for an id that fails here.

const MAX_ID_LENGTH = 200;
// Ids are opaque strings (UUIDv7-like in practice). Refuse what can never be an id: whitespace and control characters.
function hasForbiddenCharacter(id: string): boolean {
	for (const char of id) {
		const code = char.codePointAt(0)!;
		if (code < 0x20 || code === 0x7f || /\s/.test(char)) return true;
	}
	return false;
}

export type DeliveryIdCheck = { ok: true; id: string } | { ok: false; reason: string };

export function checkDeliveryId(value: unknown): DeliveryIdCheck {
	if (value === undefined || value === null) {
		return { ok: false, reason: 'the Delivery ID is empty' };
	}
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'object') {
		return {
			ok: false,
			reason: `the Delivery ID must be text, but the expression gave ${describeType(value)}`,
		};
	}
	if (typeof value !== 'string') {
		return { ok: false, reason: `the Delivery ID must be text, but it is ${typeof value}` };
	}
	const id = value.trim();
	if (id === '') {
		return { ok: false, reason: 'the Delivery ID is empty' };
	}
	if (id.length > MAX_ID_LENGTH) {
		return { ok: false, reason: `the Delivery ID is ${id.length} characters long (at most ${MAX_ID_LENGTH})` };
	}
	if (hasForbiddenCharacter(id)) {
		return { ok: false, reason: 'the Delivery ID contains spaces or control characters' };
	}
	if (!canEncode(id)) {
		return { ok: false, reason: 'the Delivery ID contains a broken character (a lone UTF-16 surrogate)' };
	}
	if (id === '.' || id === '..') {
		return { ok: false, reason: `"${id}" is not a delivery ID` };
	}
	return { ok: true, id };
}

/**
 * The id as exactly one path segment: `/`, `%`, `?` and `#` are percent-encoded, and the dot segments that a URL
 * parser would resolve (`.`, `..`) were refused by checkDeliveryId, so no id can reach another route.
 */
export function deliveryIdPathSegment(id: string): string {
	return encodeURIComponent(id);
}

function canEncode(id: string): boolean {
	try {
		encodeURIComponent(id);
		return true;
	} catch {
		return false;
	}
}

function describeType(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'an object';
	return `a ${typeof value} (${String(value)})`;
}
