// Provenance: the metadata that marks every generated image as AI-made and records how it was made.
export {
  encodeWithProvenance,
  transcode,
  type OutputOptions,
  type ProvenanceFormat,
} from "./encode";
export { generationInfo, type ProvenanceModel, type ProvenanceRequest } from "./info";
export { GENERATOR, parametersText, type GenerationInfo } from "./parameters";
export { readProvenance, type Provenance } from "./read";
export { TRAINED_ALGORITHMIC_MEDIA, xmlEscape, xmpPacket, xmpProperty } from "./xmp";
export {
  ContentCredentials,
  openContentCredentials,
  readContentCredentials,
  type C2paFormat,
  type C2paReport,
  type Claim,
} from "./c2pa";
export {
  CredentialsError,
  loadSigningCredentials,
  type SigningCredentials,
} from "./c2pa-credentials";
