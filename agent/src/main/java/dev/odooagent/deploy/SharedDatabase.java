package dev.odooagent.deploy;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;

/**
 * The port to what the hosts serving one database share: a database-wide lock held by a session, and per digest a
 * record of which host started upgrading it and its verdict. It outlives a restore of the Odoo database.
 */
public interface SharedDatabase {
  /** The record of a digest was started by this deploy and has no verdict yet. */
  String STARTED = "started";
  /** The leader committed the digest: the database runs its schema. */
  String SUCCESS = "success";
  /** The leader rolled the digest back (database restored). */
  String ROLLED_BACK = "rolled_back";
  /** The leader's rollback failed: the leader waits for an operator; nobody else may start the digest. */
  String FAILED = "failed";

  /** One digest's shared record: its state, the host and deploy that started it, the verdict's reason, and when it was set. */
  record Record(String state, String host, String deployId, String reason, Instant at) {
    /** Whether the leader reached a verdict (any state but started). */
    public boolean decided() {
      return !STARTED.equals(state);
    }

    /** Whether the leader committed the digest. */
    public boolean succeeded() {
      return SUCCESS.equals(state);
    }
  }

  /** Takes the lock if no other session holds it; true when this host holds it now. */
  Future<Boolean> tryLock();

  /** Releases the lock if this host holds it. */
  Future<Void> unlock();

  /** The record of {@code digest}, or null. */
  Future<Record> read(String digest);

  /** Records, while holding the lock, that {@code deployId} on {@code host} starts {@code digest}; fails if the lock is lost. */
  Future<Void> started(String digest, String host, String deployId);

  /** Sets the verdict {@code state} of the record {@code deployId} started, or deletes it when state is null; else no-op. */
  Future<Void> finish(String digest, String deployId, String state, String reason);

  /** Completes when the record of {@code digest} may have changed, or after {@code within} at the latest. */
  Future<Void> changed(String digest, Duration within);
}
