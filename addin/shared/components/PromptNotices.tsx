// What the server said about the prompt while it generates anyway: words the model cannot read,
// so that a landscape for "a bowl of ramen" comes with the reason. An info MessageBar announces its
// sentence to screen readers politely when it appears.
import { MessageBar, MessageBarBody } from "@fluentui/react-components";
import type { Notice } from "../../../contract";

export function PromptNotices({ notices }: { notices: Notice[] }) {
  if (notices.length === 0) return null;
  return (
    <>
      {notices.map((notice) => (
        <MessageBar
          key={notice.code}
          intent="info"
          layout="multiline"
          data-testid={`notice-${notice.code}`}
        >
          <MessageBarBody>{notice.message}</MessageBarBody>
        </MessageBar>
      ))}
    </>
  );
}
