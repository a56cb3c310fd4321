// The parts of the Common API (the global `Office`) that the host adapters use, with requirement
// sets chosen per test. Host-specific objects (Word, PowerPoint) come from office-addin-mock.

export interface OfficeStub {
  inserted: { data: string; options: Record<string, any> }[];
}

function atLeast(version: string, wanted: string): boolean {
  const [a, b] = [version, wanted].map((v) => v.split(".").map(Number));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export function installOffice(options: {
  sets: Record<string, string>;
  failWith?: string;
}): OfficeStub {
  const stub: OfficeStub = { inserted: [] };
  (globalThis as any).Office = {
    CoercionType: { Image: "image", Text: "text" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    HostType: { Word: "Word", PowerPoint: "PowerPoint" },
    context: {
      requirements: {
        isSetSupported: (name: string, version = "1.1") =>
          name in options.sets && atLeast(options.sets[name], version),
      },
      document: {
        setSelectedDataAsync(
          data: string,
          opts: Record<string, any>,
          callback: (result: any) => void
        ) {
          if (options.failWith) {
            callback({ status: "failed", error: { message: options.failWith } });
            return;
          }
          stub.inserted.push({ data, options: opts });
          callback({ status: "succeeded" });
        },
      },
    },
  };
  return stub;
}

export function uninstallOffice(): void {
  delete (globalThis as any).Office;
  delete (globalThis as any).Word;
  delete (globalThis as any).PowerPoint;
}
