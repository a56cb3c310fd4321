// Prompts to start from. The embedded model paints landscapes and light, so the examples do too.
export const EXAMPLE_PROMPTS = [
  { label: "Misty lake", prompt: "a misty lake at sunrise with pine-covered hills reflected in still water" },
  { label: "Alpine sunset", prompt: "snow-capped mountains at sunset, golden light on the peaks, clear sky" },
  { label: "Northern lights", prompt: "northern lights over a frozen lake at night, stars, snowy shore" },
  { label: "Fog valley", prompt: "a valley filled with morning fog, soft light, rolling green hills" },
  { label: "Desert dusk", prompt: "sand dunes at dusk under a purple sky with the first stars" },
  { label: "Stormy coast", prompt: "dramatic storm clouds over a rocky coast, waves, a break of sunlight" },
];
