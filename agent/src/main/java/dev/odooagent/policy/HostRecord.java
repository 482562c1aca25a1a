package dev.odooagent.policy;

/** What the host has run and refused, as the policy needs it to keep automatic deploys moving forward only. */
public interface HostRecord {
  /** Why {@code digest} was rolled back on this host, or null. */
  String rejectedBy(String digest);

  /** When this host left {@code digest} for a newer one, or null. */
  String leftAt(String digest);

  /** The pinned digest, or null when no pin holds. */
  String pinnedDigest();

  /** The FAILED verdict's reason while it waits for an operator, or null. */
  String failure();
}
