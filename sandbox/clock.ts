/**
 * A scaled clock. Nominal time runs `timeScale` times faster than real time; changing the scale
 * only affects time from that moment on, so nominal time never jumps or runs backwards.
 */
interface Segment {
	real: number;
	nominal: number;
	scale: number;
}

export class ScaledClock {
	private segments: Segment[];

	constructor(
		timeScale: number,
		private readonly realNow: () => number = Date.now,
	) {
		ScaledClock.check(timeScale);
		const now = this.realNow();
		this.segments = [{ real: now, nominal: now, scale: timeScale }];
	}

	static check(timeScale: number): void {
		if (!Number.isFinite(timeScale) || timeScale <= 0) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
	}

	get timeScale(): number {
		return this.segments[this.segments.length - 1].scale;
	}

	setTimeScale(timeScale: number): void {
		ScaledClock.check(timeScale);
		const real = this.realNow();
		this.segments.push({ real, nominal: this.nominalAt(real), scale: timeScale });
	}

	now(): number {
		return this.realNow();
	}

	/** Nominal milliseconds at a real instant (real instants before the clock started map 1:1). */
	nominalAt(real: number): number {
		for (let i = this.segments.length - 1; i >= 0; i--) {
			const seg = this.segments[i];
			if (real >= seg.real || i === 0) return seg.nominal + (real - seg.real) * (real >= seg.real ? seg.scale : 1);
		}
		return real;
	}

	nominalNow(): number {
		return this.nominalAt(this.realNow());
	}

	/** The real instant at which the clock showed `nominal` milliseconds. */
	realAt(nominal: number): number {
		for (let i = this.segments.length - 1; i >= 0; i--) {
			const seg = this.segments[i];
			if (nominal >= seg.nominal || i === 0) {
				return seg.real + (nominal - seg.nominal) / (nominal >= seg.nominal ? seg.scale : 1);
			}
		}
		return nominal;
	}
}
