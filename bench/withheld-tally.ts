/** Counts what the image checker withholds from a set of pictures at each policy level (for bench/safety-*.ts). */
import type { ImageChecker, ImageInput } from "../backend/safety";

/** The table's header; `what` names the first column (a folder, a sampling setting). */
export function tallyHeader(what: string): string {
  return `| ${what} | images | withheld at moderate | withheld at strict | highest Porn + Hentai |\n|---|---|---|---|---|`;
}

export class WithheldTally {
  images = 0;
  moderate = 0;
  strict = 0;
  worst = 0;

  constructor(private readonly checker: ImageChecker) {}

  async add(image: ImageInput): Promise<void> {
    const m = await this.checker.checkImage(image, "moderate");
    const s = await this.checker.checkImage(image, "strict");
    this.images += 1;
    this.moderate += m.allowed ? 0 : 1;
    this.strict += s.allowed ? 0 : 1;
    this.worst = Math.max(this.worst, (m.scores.Porn ?? 0) + (m.scores.Hentai ?? 0));
  }

  row(name: string): string {
    return `| ${name} | ${this.images} | ${this.moderate} | ${this.strict} | ${this.worst.toFixed(2)} |`;
  }
}
