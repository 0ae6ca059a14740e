// A TypeScript consumer of the installed @brazesync/client: run_tests.sh
// type-checks it (tsc --noEmit, strict) against the package's .d.ts, so a
// typing regression (a method, option, message field or enum lost or
// loosened to any) fails Node.Client. Never executed.
import {
  BrazeSyncClient,
  BrazeSyncError,
  GrpcCode,
  ItemStatus,
  Outcome,
  buildEvent,
  type TrackResult,
  type LookupUsersResponse,
  type TriggerResponse,
  type ListDeadLettersResponse,
} from "@brazesync/client";

export async function consumer(): Promise<void> {
  const client = new BrazeSyncClient({ target: "127.0.0.1:50051", token: "t", timeoutMs: 5000, retries: 2 });
  const http = new BrazeSyncClient({ baseUrl: "http://127.0.0.1:8080" });
  const protocol: "grpc" | "connect" = http.protocol;

  const result: TrackResult = await client.track({
    attributes: [{ user: { id: { case: "externalId", value: "u1" } }, firstName: "Ada" }],
    allowPartial: true,
  });
  const delivered: boolean = result.outcome === Outcome.DELIVERED && result.items[0]?.status === ItemStatus.DELIVERED;
  const fromHelper: TrackResult = await client.trackEvent({ externalId: "u1", name: "e", properties: { a: 1 } });

  for await (const streamed of client.trackStream([{ events: [buildEvent({ externalId: "u1", name: "e" })] }])) {
    const id: string = streamed.requestId;
    void id;
  }
  const lookup: LookupUsersResponse = await client.lookupUsers({ externalIds: ["u1"] });
  const trigger: TriggerResponse = await client.triggerCanvas({ canvasId: "c", broadcast: true });
  const letters: ListDeadLettersResponse = await client.listDeadLetters({ pageSize: 1 });

  try {
    await client.getItemStatus({ itemId: "x" });
  } catch (err) {
    if (err instanceof BrazeSyncError && err.code === GrpcCode.NOT_FOUND) {
      const fields: string[] = err.violations.map((v) => v.field);
      void fields;
    }
  }
  // @ts-expect-error: firstName is a string.
  await client.track({ attributes: [{ firstName: 42 }] });
  // @ts-expect-error: there is no such rpc.
  await client.trackEverything({});
  // @ts-expect-error: an unknown option.
  new BrazeSyncClient({ hostname: "x" });
  void [protocol, delivered, fromHelper, lookup, trigger, letters];
  client.close();
}
