import { type Capabilities, HOST_SOURCES } from '../media/capabilities.js';
import { describeCapabilities } from '../text/capabilities.js';
import { describeUnsupported } from '../text/unsupported.js';

/**
 * What this device can do in a jam, in one line: on the start page before anyone picks a role,
 * and in the room where something is missing. The data attributes say it for the tests.
 */
export function CapabilityNote({
  capabilities: caps,
  secureUrl,
  onlyIfLimited = false,
}: {
  capabilities: Capabilities;
  /** The server's public https address, where a page over plain http should go. */
  secureUrl: string | null;
  /** Say nothing when this device can do everything (in the room, where it is noise). */
  onlyIfLimited?: boolean;
}) {
  const attributes = {
    'data-testid': 'capabilities',
    'data-listen': caps.listen.ok ? 'yes' : 'no',
    'data-host': caps.host.ok ? 'yes' : 'no',
    'data-sources': HOST_SOURCES.filter((s) => caps.sources[s].ok).join(' '),
  };
  if (!caps.listen.ok) {
    const words = describeUnsupported(caps.listen, secureUrl, location.pathname);
    return (
      <p class="hint capabilities limited" {...attributes} data-cause={caps.listen.cause}>
        {words.text}
        {words.link && (
          <>
            {' '}
            <a href={words.link}>{words.link}</a>
          </>
        )}
      </p>
    );
  }
  const words = describeCapabilities(caps);
  if (!words || (onlyIfLimited && words.complete)) return null;
  return (
    <p class={words.complete ? 'hint capabilities' : 'hint capabilities limited'} {...attributes}>
      {words.text}
    </p>
  );
}
