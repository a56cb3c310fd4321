// The XMP packet that marks an image as AI-generated: IPTC's DigitalSourceType
// "trainedAlgorithmicMedia" (what Office, Adobe, Google and C2PA tools look for), the IPTC 2025.1
// AI properties, the generator, the model and the parameters. It has no timestamps, so the same
// generation always gives the same bytes.
import { GENERATOR, parametersText, type GenerationInfo } from "./parameters";

export const TRAINED_ALGORITHMIC_MEDIA =
  "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

const namespaces = {
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  dc: "http://purl.org/dc/elements/1.1/",
  xmp: "http://ns.adobe.com/xap/1.0/",
  Iptc4xmpExt: "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
  lumen: "urn:lumen:xmp:1.0:",
};

// Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/FFFF).
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(notXmlChar, "\uFFFD").replace(/[&<>"'\r]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return "&#xD;"; // a literal CR would be normalised to LF by XML parsers
    }
  });
}

export function xmpPacket(info: GenerationInfo): string {
  const text = (name: string, value: string) => `   <${name}>${xmlEscape(value)}</${name}>`;
  const langAlt = (name: string, value: string) =>
    `   <${name}><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(value)}</rdf:li></rdf:Alt></${name}>`;
  const declarations = Object.entries(namespaces)
    .filter(([prefix]) => prefix !== "rdf")
    .map(([prefix, uri]) => `    xmlns:${prefix}="${uri}"`);
  return [
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>`,
    `<x:xmpmeta xmlns:x="adobe:ns:meta/">`,
    ` <rdf:RDF xmlns:rdf="${namespaces.rdf}">`,
    `  <rdf:Description rdf:about=""`,
    `${declarations.join("\n")}>`,
    text("Iptc4xmpExt:DigitalSourceType", TRAINED_ALGORITHMIC_MEDIA),
    text("Iptc4xmpExt:AISystemUsed", info.model),
    text("Iptc4xmpExt:AIPromptInformation", info.prompt),
    text("xmp:CreatorTool", `${GENERATOR.name} ${GENERATOR.version}`),
    langAlt("dc:description", info.prompt),
    text("lumen:model", info.model),
    text("lumen:parameters", parametersText(info)),
    `  </rdf:Description>`,
    ` </rdf:RDF>`,
    `</x:xmpmeta>`,
    `<?xpacket end="w"?>`,
  ].join("\n");
}

function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, ref: string) => {
    if (ref[0] === "#")
      return String.fromCodePoint(
        ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1))
      );
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[ref.toLowerCase()]!;
  });
}

/**
 * One simple property of an XMP packet by its qualified name, in any of RDF's three spellings:
 * attribute (prefix:Name="v"), element (<prefix:Name>v</prefix:Name>, or inside rdf:Alt) and
 * resource (<prefix:Name rdf:resource="v"/>). A pattern match rather than an XML parser: it reads
 * the few properties written here and by common tools (exiftool, Adobe), which use these prefixes.
 */
export function xmpProperty(xmp: string, qname: string): string | undefined {
  const name = qname.replace(".", "\\.");
  const patterns = [
    new RegExp(`<${name}\\b[^>]*?\\brdf:resource\\s*=\\s*(?:"([^"]*)"|'([^']*)')`),
    new RegExp(`<${name}(?:\\s[^>]*)?>\\s*(?:<rdf:Alt>\\s*<rdf:li\\b[^>]*>)?([^<]*)<`),
    new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`),
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(xmp);
    const value = match?.[1] ?? match?.[2];
    if (value !== undefined) return xmlUnescape(value);
  }
  return undefined;
}
