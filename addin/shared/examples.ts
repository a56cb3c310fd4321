// Prompts to start from. The embedded model paints landscapes and light, so the examples do too,
// in words its vocabulary holds: a test checks that none of them gets the unknown-words notice.
export const EXAMPLE_PROMPTS = [
  {
    label: "Misty lake",
    prompt: "a misty lake at sunrise with pine-covered hills reflecting in still water",
  },
  {
    label: "Alpine sunset",
    prompt: "snow-covered mountains at sunset, golden light on the peaks, clear sky",
  },
  { label: "Moonlit lake", prompt: "a moonlit lake at night under the stars, snowy shore" },
  { label: "Fog valley", prompt: "a valley with morning fog, warm light, rolling green hills" },
  { label: "Desert dusk", prompt: "sand dunes at dusk under a purple sky with the first stars" },
  {
    label: "Stormy coast",
    prompt: "dramatic storm clouds over the coast, waves, sunbeams over the sea",
  },
];
