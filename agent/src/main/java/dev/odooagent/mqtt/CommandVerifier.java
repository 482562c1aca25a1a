package dev.odooagent.mqtt;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns a command payload into a {@link Command} or refuses it: JSON shape and field syntax; when a command secret is
 * configured, the HMAC-SHA256 {@code sig} over {@link Canonical#json} of the payload without {@code sig}; an
 * {@code id} not seen before; and, when signing, {@code ts} within {@link #MAX_CLOCK_SKEW} of the clock.
 */
public final class CommandVerifier {

  /** The largest command payload accepted. */
  public static final int MAX_PAYLOAD_BYTES = 64 * 1024;
  /** How far {@code ts} may be from the agent's clock, either way. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(120);

  private static final Set<String> FIELDS = Set.of("id", "action", "tag", "digest", "mode", "force", "ts", "sig");
  private static final String HMAC = "HmacSHA256";

  private final byte[] secret;
  private final ReplayCache seen;
  private final Clock clock;

  /** A verifier that requires signatures when secret is non-null and consults seen for used ids. */
  public CommandVerifier(byte[] secret, ReplayCache seen, Clock clock) {
    this.secret = secret == null ? null : secret.clone();
    this.seen = Objects.requireNonNull(seen, "seen");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Whether commands must carry {@code ts} and {@code sig}. */
  public boolean signing() {
    return secret != null;
  }

  /** Verifies a raw payload and returns the command it asks for, or throws the reason it is refused. */
  public Command verify(byte[] payload) throws CommandRefusedException {
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw refused(null, "payload is " + payload.length + " bytes, more than " + MAX_PAYLOAD_BYTES
          + " (send a command of the form {\"id\":…,\"action\":…})");
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(Buffer.buffer(payload));
    } catch (DecodeException | IllegalStateException e) {
      throw refused(null, "payload is not valid JSON (send a command of the form {\"id\":…,\"action\":…})");
    }
    if (!(parsed instanceof JsonObject json)) {
      throw refused(null, "payload is not a JSON object (send a command of the form {\"id\":…,\"action\":…})");
    }
    return verify(json);
  }

  /** Verifies an already parsed payload and returns the command it asks for, or throws the reason it is refused. */
  public Command verify(JsonObject json) throws CommandRefusedException {
    Object rawId = json.getValue("id");
    String echoId = rawId instanceof String s && !s.isEmpty() && s.length() <= 128 ? s : null;
    if (rawId == null) {
      throw refused(null, "id is missing (add a unique \"id\" string to each command)");
    }
    if (!(rawId instanceof String id)) {
      throw refused(null, "id must be a JSON string, not " + typeOf(rawId));
    }
    if (!Identifiers.validCommandId(id)) {
      throw refused(echoId, "id " + Identifiers.quote(id)
          + " must be 1 to 128 visible ASCII characters without spaces (use e.g. a UUID)");
    }
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw refused(id, "unknown field " + Identifiers.quote(field) + " (allowed: id, action, tag, digest, mode, force, ts, sig)");
      }
    }
    Command.Action action = action(id, json.getValue("action"));
    String tag = optionalString(id, json, "tag");
    String digest = optionalString(id, json, "digest");
    if (tag != null && !Identifiers.validTag(tag)) {
      throw refused(id, "tag " + Identifiers.quote(tag) + " is not a valid tag (it must match "
          + Identifiers.TAG.pattern() + ")");
    }
    if (digest != null && !Identifiers.validDigest(digest)) {
      throw refused(id, "digest " + Identifiers.quote(digest)
          + " is not a valid digest (it must be sha256: followed by 64 lower-case hex digits)");
    }
    String mode = optionalString(id, json, "mode");
    if (mode != null && (action != Command.Action.ROLLBACK || !List.of("restore_database", "code_only").contains(mode))) {
      throw refused(id, "mode " + Identifiers.quote(mode) + " is only for rollback, as restore_database or code_only");
    }
    Object rawForce = json.getValue("force");
    if (rawForce != null && (!(rawForce instanceof Boolean) || !action.takesVersion())) {
      throw refused(id, "force must be true or false, and only for pin or deploy (it deploys on every host of"
          + " P/all/cmd at once, past the fleet waves, and past a pin)");
    }
    boolean force = Boolean.TRUE.equals(rawForce);
    if (action.takesVersion() && tag == null && digest == null) {
      throw refused(id, action.label() + " needs a \"tag\" or a \"digest\"");
    }
    if (!action.takesVersion() && (tag != null || digest != null)) {
      throw refused(id, action.label() + " takes no tag or digest (remove them)");
    }
    if (secret != null) {
      checkSignature(id, json);
    }
    // before the ts check, so that a late redelivery of an executed command is known as a duplicate, not as expired
    if (seen.contains(id)) {
      throw new CommandRefusedException(id, "command refused: id " + Identifiers.quote(id)
          + (secret != null ? " was already used (a replayed command)" : " was already executed")
          + "; send each command with a new id", true);
    }
    if (secret != null) {
      checkTimestamp(id, json.getValue("ts"));
    }
    return new Command(id, action, tag, digest, mode, force, false);
  }

  /** Whether {@code json} carries a {@code sig} that is the HMAC-SHA256 of its canonical form without {@code sig}. */
  public static boolean signedBy(JsonObject json, byte[] secret) {
    if (!(json.getValue("sig") instanceof String sig) || !sig.matches("[0-9a-fA-F]{64}")) {
      return false;
    }
    JsonObject unsigned = json.copy();
    unsigned.remove("sig");
    return MessageDigest.isEqual(hmac(secret, Canonical.json(unsigned)),
        HexFormat.of().parseHex(sig.toLowerCase(java.util.Locale.ROOT)));
  }

  /** Returns the hex HMAC-SHA256 of {@link Canonical#json} of the command without its {@code sig} field. */
  public static String sign(JsonObject command, byte[] secret) {
    JsonObject unsigned = command.copy();
    unsigned.remove("sig");
    return HexFormat.of().formatHex(hmac(secret, Canonical.json(unsigned)));
  }

  private static byte[] hmac(byte[] secret, String text) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(secret, HMAC));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  private void checkSignature(String id, JsonObject json) throws CommandRefusedException {
    Object rawSig = json.getValue("sig");
    if (rawSig == null) {
      throw refused(id, "sig is missing (commands must be signed because mqtt.command_secret_file is set)");
    }
    if (!(rawSig instanceof String sig) || !sig.matches("[0-9a-fA-F]{64}")) {
      throw refused(id, "sig must be 64 hex digits of HMAC-SHA256 (see the command signature rule)");
    }
    JsonObject unsigned = json.copy();
    unsigned.remove("sig");
    byte[] expected = hmac(secret, Canonical.json(unsigned));
    if (!MessageDigest.isEqual(expected, HexFormat.of().parseHex(sig.toLowerCase(java.util.Locale.ROOT)))) {
      throw refused(id, "sig does not match (check mqtt.command_secret_file)");
    }
  }

  private void checkTimestamp(String id, Object rawTs) throws CommandRefusedException {
    if (rawTs == null) {
      throw refused(id, "ts is missing (signed commands need \"ts\": the current time in epoch seconds)");
    }
    if (!(rawTs instanceof Integer || rawTs instanceof Long)) {
      String got = rawTs instanceof Number ? "got " + rawTs : "got " + typeOf(rawTs);
      throw refused(id, "ts must be an integer number of epoch seconds (" + got + ")");
    }
    long ts = ((Number) rawTs).longValue();
    long now = clock.instant().getEpochSecond();
    long skew = Math.abs(now - ts);
    if (skew > MAX_CLOCK_SKEW.toSeconds()) {
      throw refused(id, "ts " + ts + " is " + skew + " s away from the agent's clock, more than "
          + MAX_CLOCK_SKEW.toSeconds() + " s (sign it again with the current time; check both clocks)");
    }
  }

  private static Command.Action action(String id, Object raw) throws CommandRefusedException {
    if (raw == null) {
      throw refused(id, "action is missing (use pin, unpin, deploy, rollback, approve or status)");
    }
    if (!(raw instanceof String label)) {
      throw refused(id, "action must be a JSON string, not " + typeOf(raw));
    }
    return Command.Action.fromLabel(label).orElseThrow(() -> refused(id, "action " + Identifiers.quote(label)
        + " is unknown (use pin, unpin, deploy, rollback, approve or status)"));
  }

  private static String optionalString(String id, JsonObject json, String field) throws CommandRefusedException {
    Object raw = json.getValue(field);
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String s)) {
      throw refused(id, field + " must be a JSON string, not " + typeOf(raw));
    }
    return s;
  }

  private static String typeOf(Object value) {
    if (value instanceof JsonObject) {
      return "an object";
    }
    if (value instanceof io.vertx.core.json.JsonArray) {
      return "an array";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof String) {
      return "a string";
    }
    return "null";
  }

  private static CommandRefusedException refused(String id, String reason) {
    return new CommandRefusedException(id, "command refused: " + reason);
  }
}
