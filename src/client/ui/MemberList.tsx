import type { Member } from '../../protocol/index.js';
import type { SyncStatus } from '../../protocol/media.js';
import { membersInOrder, type RoomState } from '../state/roomState.js';
import { describeCalibration } from '../text/calibration.js';
import { describeSync } from '../text/sync.js';

/** Who is in the jam, with their presence; the host can remove listeners. */
export function MemberList({
  room,
  sync,
  onKick,
}: {
  room: RoomState;
  /** Sync status by peer id, from the host. */
  sync: Record<string, SyncStatus>;
  onKick: (peerId: string) => void;
}) {
  const members = membersInOrder(room);
  const canKick = room.self.role === 'host' && !room.ended;
  return (
    <section class="card members" aria-labelledby="members-title">
      <h2 id="members-title">
        In this jam{' '}
        <span class="count">
          {members.length}/{room.room.maxMembers}
        </span>
      </h2>
      <ul class="member-list" data-testid="member-list">
        {members.map((m) => (
          <MemberItem
            key={m.peerId}
            member={m}
            self={m.peerId === room.self.peerId}
            sync={sync[m.peerId]}
            onKick={canKick && m.role !== 'host' ? () => onKick(m.peerId) : undefined}
          />
        ))}
      </ul>
    </section>
  );
}

function MemberItem({
  member,
  self,
  sync,
  onKick,
}: {
  member: Member;
  self: boolean;
  sync: SyncStatus | undefined;
  onKick?: (() => void) | undefined;
}) {
  const away = member.presence === 'reconnecting';
  return (
    <li
      class={`member${away ? ' away' : ''}`}
      data-testid="member"
      data-peer-id={member.peerId}
      data-role={member.role}
      data-presence={member.presence}
      data-self={String(self)}
    >
      <span
        class={`presence-dot ${member.presence}`}
        title={away ? 'Reconnecting' : 'Online'}
        aria-hidden="true"
      />
      <span class="member-main">
        <span class="member-name">{member.name}</span>
        {self && <span class="you"> (you)</span>}
        {member.role === 'host' && <span class="badge">Host</span>}
        <span class="presence-text">{away ? 'reconnecting...' : 'online'}</span>
        <span class="member-sync" data-testid="member-sync" data-in-sync={String(Boolean(sync?.inSync))}>
          {describeSync(sync)}
        </span>
        {describeCalibration(sync) && (
          <span
            class={`member-calibration ${sync?.calibration ?? ''}`}
            data-testid="member-calibration"
            data-calibration={sync?.calibration}
          >
            {describeCalibration(sync)}
          </span>
        )}
      </span>
      {onKick && (
        <button
          type="button"
          class="small subtle"
          data-testid="kick-button"
          aria-label={`Remove ${member.name}`}
          onClick={onKick}
        >
          Remove
        </button>
      )}
    </li>
  );
}
