// Which models can start from a picture (a vae_encoder/: `fromPicture` in GET /api/models), read
// once the page may call the API; the picture controls show only for those.
import { useEffect, useState } from "react";
import { useLumen, useSession } from "./context";

/** Names of the models that can start from a picture; empty until known (or when none can). */
export function usePictureModels(): ReadonlySet<string> {
  const { client } = useLumen();
  const { ready, signIn } = useSession();
  const [names, setNames] = useState<ReadonlySet<string>>(() => new Set());
  useEffect(() => {
    if (!ready) return;
    let current = true;
    client.models().then(
      (models) =>
        current && setNames(new Set(models.filter((m) => m.fromPicture).map((m) => m.name))),
      // Without the list the page offers what every model can do: words only.
      (error) => console.warn("Couldn't read the models:", error)
    );
    return () => {
      current = false;
    };
  }, [client, ready, signIn.status]);
  return names;
}
