// What can be done with a result: insert it where the host puts images, open, copy, download, rate.
// Each action reports its outcome as a toast, which screen readers announce.
import { useToastController } from "@fluentui/react-components";
import { useCallback } from "react";
import { copyImageBlob, downloadBlob, fileNameFor } from "../hosts/browser";
import { useLumen } from "./context";
import type { ResultImage } from "./generation";
import { altTextFor } from "./options";
import { notify, TOASTER_ID } from "./components/Notifications";

function blobToBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function useImageActions() {
  const { client, host } = useLumen();
  const { dispatchToast } = useToastController(TOASTER_ID);
  const toast = useCallback(
    (intent: "success" | "error" | "info", title: string, body?: string) =>
      notify(dispatchToast, intent, title, body),
    [dispatchToast]
  );

  const insert = useCallback(
    async (image: ResultImage) => {
      try {
        const { format, maxSide } = host.capabilities().payload;
        const blob = await client.imageBlob(image.id, { format, size: maxSide });
        const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
        const message = await host.insertImage(await blobToBase64(blob), {
          altText: altTextFor(image.prompt),
          title: image.prompt,
          width: Math.round(image.width * scale),
          height: Math.round(image.height * scale),
          mimeType: format === "jpeg" ? "image/jpeg" : "image/png",
        });
        toast("success", message);
      } catch (error) {
        toast("error", "Couldn't insert the image", errorMessage(error));
      }
    },
    [client, host, toast]
  );

  /** Opens the full-size PNG in a new tab: the window opens now, while the click still counts. */
  const open = useCallback(
    async (image: ResultImage) => {
      const view = window.open("", "_blank");
      if (!view) {
        toast(
          "error",
          "Couldn't open the image",
          "A new window isn't allowed here. Use Download instead."
        );
        return;
      }
      view.opener = null;
      try {
        const url = URL.createObjectURL(await client.imageBlob(image.id, { format: "png" }));
        view.location.href = url;
        // The tab has read it by then; revoking frees the memory, not the shown image.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      } catch (error) {
        view.close();
        toast("error", "Couldn't open the image", errorMessage(error));
      }
    },
    [client, toast]
  );

  const copy = useCallback(
    async (image: ResultImage) => {
      try {
        const copied = await copyImageBlob(await client.imageBlob(image.id, { format: "png" }));
        if (copied) toast("success", "Copied the image to the clipboard.");
        else
          toast(
            "error",
            "Couldn't copy",
            "This browser doesn't allow copying images here. Use Download instead."
          );
      } catch (error) {
        toast("error", "Couldn't copy", errorMessage(error));
      }
    },
    [client, toast]
  );

  const download = useCallback(
    async (image: ResultImage) => {
      try {
        const blob = await client.imageBlob(image.id, { format: "png" });
        const name = fileNameFor(image.prompt, "image/png");
        downloadBlob(blob, name);
        toast("success", `Downloaded ${name}.`);
      } catch (error) {
        toast("error", "Couldn't download", errorMessage(error));
      }
    },
    [client, toast]
  );

  const rate = useCallback(
    async (image: ResultImage, rating: "up" | "down"): Promise<boolean> => {
      try {
        await client.sendFeedback({ imageId: image.id, rating });
        toast("info", "Thanks for the feedback.");
        return true;
      } catch (error) {
        toast("error", "Couldn't send feedback", errorMessage(error));
        return false;
      }
    },
    [client, toast]
  );

  return { insert, open, copy, download, rate, insertLabel: host.capabilities().insertLabel };
}
