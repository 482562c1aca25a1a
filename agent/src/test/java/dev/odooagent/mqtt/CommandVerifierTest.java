package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.odooagent.MutableClock;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CommandVerifierTest {

  private static final byte[] SECRET = "s3cret-for-tests".getBytes(StandardCharsets.UTF_8);
  private static final long NOW = 1_700_000_000L;
  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  @TempDir
  Path dir;
  private MutableClock clock;
  private ReplayCache cache;

  @BeforeEach
  void open() throws IOException {
    clock = new MutableClock(Instant.ofEpochSecond(NOW));
    cache = ReplayCache.open(dir.resolve("ids"), Duration.ofHours(24), clock);
  }

  @AfterEach
  void close() throws IOException {
    cache.close();
  }

  private CommandVerifier signed() {
    return new CommandVerifier(SECRET, cache, clock);
  }

  private CommandVerifier unsigned() {
    return new CommandVerifier(null, cache, clock);
  }

  private static JsonObject sign(JsonObject command) {
    return command.put("sig", CommandVerifier.sign(command, SECRET));
  }

  private static byte[] bytes(JsonObject json) {
    return json.encode().getBytes(StandardCharsets.UTF_8);
  }

  private String refusal(CommandVerifier verifier, byte[] payload) {
    return assertThrows(CommandRefusedException.class, () -> verifier.verify(payload)).getMessage();
  }

  @Test
  void signedCommandIsAccepted() throws Exception {
    JsonObject command = sign(new JsonObject().put("id", "c-1").put("action", "pin").put("tag", "sha-057bb3a")
        .put("ts", NOW));
    Command verified = signed().verify(bytes(command));
    assertEquals(new Command("c-1", Command.Action.PIN, "sha-057bb3a", null), verified);
  }

  @Test
  void aForcedDeployIsSignedLikeAnyOtherField() throws Exception {
    JsonObject command = sign(new JsonObject().put("id", "c-f").put("action", "deploy").put("tag", "v2")
        .put("force", true).put("ts", NOW));
    Command verified = signed().verify(bytes(command));
    assertEquals(new Command("c-f", Command.Action.DEPLOY, "v2", null, null, true, false), verified);
    assertEquals(true, verified.asBroadcast().toAll());
    command.put("force", false);
    assertThrows(CommandRefusedException.class, () -> signed().verify(bytes(command)), "force is covered by sig");
  }

  @Test
  void signatureIsOverTheCanonicalFormSoKeyOrderAndSpacingDoNotMatter() throws Exception {
    String sig = CommandVerifier.sign(new JsonObject().put("id", "c-2").put("action", "deploy").put("digest", DIGEST)
        .put("ts", NOW), SECRET);
    String payload = "{ \"ts\" : " + NOW + ",\n \"digest\": \"" + DIGEST + "\", \"sig\": \"" + sig.toUpperCase()
        + "\", \"action\": \"deploy\", \"id\": \"c-2\" }";
    Command verified = signed().verify(payload.getBytes(StandardCharsets.UTF_8));
    assertEquals(Command.Action.DEPLOY, verified.action());
    assertEquals(DIGEST, verified.digest());
  }

  @Test
  void signatureMadeWithJqAndOpensslVerifies() throws Exception {
    JsonObject command = new JsonObject().put("id", "c-jq").put("action", "pin").put("tag", "v2").put("ts", NOW);
    String sig = shellSignature(command.encode());
    assumeTrue(sig != null, "jq or openssl is not installed");
    command.put("sig", sig);
    assertEquals("v2", signed().verify(bytes(command)).tag());
  }

  @Test
  void anApprovalIsSignedLikeAnyCommandAndRefusedUnsignedWhenSigningIsOn() throws Exception {
    JsonObject command = new JsonObject().put("id", "c-approve").put("action", "approve").put("ts", NOW);
    assertEquals("command refused: sig is missing (commands must be signed because mqtt.command_secret_file is set)",
        refusal(signed(), bytes(command)));
    assertEquals(new Command("c-approve", Command.Action.APPROVE, null, null), signed().verify(bytes(sign(command))));
  }

  @Test
  void badSignatureIsRefused() {
    JsonObject command = sign(new JsonObject().put("id", "c-3").put("action", "pin").put("tag", "v1").put("ts", NOW));
    command.put("tag", "v2");
    assertEquals("command refused: sig does not match (check mqtt.command_secret_file)",
        refusal(signed(), bytes(command)));
  }

  @Test
  void signatureWithAnotherSecretIsRefused() {
    JsonObject command = new JsonObject().put("id", "c-4").put("action", "rollback").put("ts", NOW);
    command.put("sig", CommandVerifier.sign(command, "other".getBytes(StandardCharsets.UTF_8)));
    assertTrue(refusal(signed(), bytes(command)).contains("sig does not match"));
  }

  @Test
  void unsignedCommandIsRefusedWhenSigningIsOn() {
    JsonObject command = new JsonObject().put("id", "c-5").put("action", "status").put("ts", NOW);
    assertEquals("command refused: sig is missing (commands must be signed because mqtt.command_secret_file is set)",
        refusal(signed(), bytes(command)));
  }

  @Test
  void signedCommandWithoutTsIsRefused() {
    JsonObject command = sign(new JsonObject().put("id", "c-6").put("action", "status"));
    assertTrue(refusal(signed(), bytes(command)).startsWith("command refused: ts is missing"));
  }

  @Test
  void tsWindowIsInclusiveAt120Seconds() throws Exception {
    CommandVerifier verifier = signed();
    assertEquals("a", verifier.verify(bytes(sign(status("a").put("ts", NOW - 120)))).id());
    assertEquals("b", verifier.verify(bytes(sign(status("b").put("ts", NOW + 120)))).id());
    assertEquals("command refused: ts " + (NOW - 121) + " is 121 s away from the agent's clock, more than 120 s"
        + " (sign it again with the current time; check both clocks)",
        refusal(verifier, bytes(sign(status("c").put("ts", NOW - 121)))));
    assertTrue(refusal(verifier, bytes(sign(status("d").put("ts", NOW + 121)))).contains("121 s away"));
  }

  @Test
  void expiredCommandIsRefusedOnceTheClockMoves() throws Exception {
    JsonObject command = sign(status("late").put("ts", NOW));
    clock.advance(Duration.ofSeconds(121));
    assertTrue(refusal(signed(), bytes(command)).contains("more than 120 s"));
  }

  @Test
  void tsMustBeAnInteger() {
    assertTrue(refusal(signed(), bytes(sign(status("f").put("ts", NOW + 0.5))))
        .contains("ts must be an integer number of epoch seconds"));
    assertTrue(refusal(signed(), bytes(sign(status("g").put("ts", String.valueOf(NOW)))))
        .contains("ts must be an integer number of epoch seconds (got a string)"));
  }

  @Test
  void replayedCommandIsRefused() throws Exception {
    byte[] payload = bytes(sign(status("once").put("ts", NOW)));
    CommandVerifier verifier = signed();
    verifier.verify(payload);
    assertTrue(cache.add("once"));
    CommandRefusedException e = assertThrows(CommandRefusedException.class, () -> verifier.verify(payload));
    assertTrue(e.duplicate());
    assertEquals("once", e.commandId());
    assertEquals("command refused: id 'once' was already used (a replayed command); send each command with a new id",
        e.getMessage());
  }

  @Test
  void lateReplayIsReportedAsReplayedRatherThanExpired() throws Exception {
    byte[] payload = bytes(sign(status("late-replay").put("ts", NOW)));
    signed().verify(payload);
    assertTrue(cache.add("late-replay"));
    clock.advance(Duration.ofMinutes(10));
    CommandRefusedException e = assertThrows(CommandRefusedException.class, () -> signed().verify(payload));
    assertTrue(e.duplicate(), e.getMessage());
  }

  @Test
  void replayIsRefusedAfterTheCacheIsReloadedFromItsFile() throws Exception {
    byte[] payload = bytes(sign(status("persisted").put("ts", NOW)));
    signed().verify(payload);
    assertTrue(cache.add("persisted"));
    cache.close();
    clock.advance(Duration.ofSeconds(30));
    cache = ReplayCache.open(dir.resolve("ids"), Duration.ofHours(24), clock);
    CommandRefusedException e = assertThrows(CommandRefusedException.class, () -> signed().verify(payload));
    assertTrue(e.duplicate());
  }

  @Test
  void unsignedModeStillRefusesAnExecutedId() throws Exception {
    byte[] payload = bytes(new JsonObject().put("id", "u-1").put("action", "deploy").put("tag", "v2"));
    assertEquals("v2", unsigned().verify(payload).tag());
    assertTrue(cache.add("u-1"));
    assertEquals("command refused: id 'u-1' was already executed; send each command with a new id",
        refusal(unsigned(), payload));
  }

  @Test
  void unsignedModeIgnoresTsAndSig() throws Exception {
    byte[] payload = bytes(new JsonObject().put("id", "u-2").put("action", "unpin").put("ts", 5).put("sig", "x"));
    assertEquals(Command.Action.UNPIN, unsigned().verify(payload).action());
  }

  @Test
  void everyActionIsUnderstood() throws Exception {
    assertEquals(Command.Action.PIN, unsigned().verify(bytes(cmd("1", "pin").put("digest", DIGEST))).action());
    assertEquals(Command.Action.UNPIN, unsigned().verify(bytes(cmd("2", "unpin"))).action());
    assertEquals(Command.Action.DEPLOY, unsigned().verify(bytes(cmd("3", "deploy").put("tag", "latest"))).action());
    assertEquals(Command.Action.ROLLBACK, unsigned().verify(bytes(cmd("4", "rollback"))).action());
    assertEquals(Command.Action.STATUS, unsigned().verify(bytes(cmd("5", "status"))).action());
    assertEquals(Command.Action.APPROVE, unsigned().verify(bytes(cmd("8", "approve"))).action());
    Command both = unsigned().verify(bytes(cmd("6", "pin").put("tag", "v1").put("digest", DIGEST)));
    assertEquals("v1", both.tag());
    assertEquals(DIGEST, both.digest());
    Command nulls = unsigned().verify(bytes(cmd("7", "rollback").putNull("tag").putNull("digest")));
    assertNull(nulls.tag());
  }

  static Stream<Arguments> badCommands() {
    String longTag = "a".repeat(129);
    return Stream.of(
        bad("not JSON", "{\"id\":\"x\",\"action\":\"pin\"", "payload is not valid JSON"),
        bad("empty object", "{}", "id is missing"),
        bad("array", "[{\"id\":\"x\",\"action\":\"status\"}]", "payload is not a JSON object"),
        bad("string", "\"status\"", "payload is not a JSON object"),
        bad("number", "42", "payload is not a JSON object"),
        bad("null", "null", "payload is not a JSON object"),
        bad("trailing garbage", "{\"id\":\"x\",\"action\":\"status\"} rm -rf", "payload is not valid JSON"),
        bad("binary", "\u0000\u0001\u0002", "payload is not valid JSON"),
        bad("missing id", "{\"action\":\"status\"}", "id is missing"),
        bad("null id", "{\"id\":null,\"action\":\"status\"}", "id is missing"),
        bad("numeric id", "{\"id\":7,\"action\":\"status\"}", "id must be a JSON string, not a number"),
        bad("object id", "{\"id\":{},\"action\":\"status\"}", "id must be a JSON string, not an object"),
        bad("empty id", "{\"id\":\"\",\"action\":\"status\"}", "must be 1 to 128 visible ASCII characters"),
        bad("id with space", "{\"id\":\"a b\",\"action\":\"status\"}", "must be 1 to 128 visible ASCII characters"),
        bad("id with newline", "{\"id\":\"a\\nb 1\",\"action\":\"status\"}", "must be 1 to 128 visible ASCII"),
        bad("id too long", "{\"id\":\"" + "i".repeat(129) + "\",\"action\":\"status\"}", "1 to 128"),
        bad("missing action", "{\"id\":\"x\"}", "action is missing"),
        bad("unknown action", "{\"id\":\"x\",\"action\":\"reboot\"}", "action 'reboot' is unknown"),
        bad("upper-case action", "{\"id\":\"x\",\"action\":\"PIN\",\"tag\":\"v1\"}", "action 'PIN' is unknown"),
        bad("array action", "{\"id\":\"x\",\"action\":[\"pin\"]}", "action must be a JSON string, not an array"),
        bad("command substitution tag", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"sha-$(reboot)\"}",
            "tag 'sha-$(reboot)' is not a valid tag"),
        bad("backtick tag", "{\"id\":\"x\",\"action\":\"deploy\",\"tag\":\"`id`\"}", "is not a valid tag"),
        bad("path traversal tag", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"../../x\"}",
            "tag '../../x' is not a valid tag"),
        bad("tag with semicolon", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"v1;rm -rf /\"}", "is not a valid tag"),
        bad("tag with newline", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"v1\\n\"}", "is not a valid tag"),
        bad("tag with leading dash", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"-v1\"}", "is not a valid tag"),
        bad("tag with colon", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"odoo:v1\"}", "is not a valid tag"),
        bad("tag too long", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"" + longTag + "\"}", "is not a valid tag"),
        bad("empty tag", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":\"\"}", "is not a valid tag"),
        bad("numeric tag", "{\"id\":\"x\",\"action\":\"pin\",\"tag\":1}", "tag must be a JSON string, not a number"),
        bad("upper-case digest", "{\"id\":\"x\",\"action\":\"pin\",\"digest\":\"sha256:" + "AB".repeat(32) + "\"}",
            "is not a valid digest"),
        bad("short digest", "{\"id\":\"x\",\"action\":\"pin\",\"digest\":\"sha256:abc\"}", "is not a valid digest"),
        bad("sha512 digest", "{\"id\":\"x\",\"action\":\"pin\",\"digest\":\"sha512:" + "ab".repeat(32) + "\"}",
            "is not a valid digest"),
        bad("bare hex digest", "{\"id\":\"x\",\"action\":\"pin\",\"digest\":\"" + "ab".repeat(32) + "\"}",
            "is not a valid digest"),
        bad("boolean digest", "{\"id\":\"x\",\"action\":\"pin\",\"digest\":true}",
            "digest must be a JSON string, not a boolean"),
        bad("pin without version", "{\"id\":\"x\",\"action\":\"pin\"}", "pin needs a \"tag\" or a \"digest\""),
        bad("deploy without version", "{\"id\":\"x\",\"action\":\"deploy\",\"tag\":null}", "deploy needs a"),
        bad("rollback with tag", "{\"id\":\"x\",\"action\":\"rollback\",\"tag\":\"v1\"}",
            "rollback takes no tag or digest"),
        bad("approve with digest", "{\"id\":\"x\",\"action\":\"approve\",\"digest\":\"sha256:" + "ab".repeat(32) + "\"}",
            "approve takes no tag or digest"),
        bad("unknown field", "{\"id\":\"x\",\"action\":\"status\",\"forced\":true}", "unknown field 'forced'"),
        bad("force on status", "{\"id\":\"x\",\"action\":\"status\",\"force\":true}",
            "force must be true or false, and only for pin or deploy"),
        bad("force as a string", "{\"id\":\"x\",\"action\":\"deploy\",\"tag\":\"v1\",\"force\":\"yes\"}",
            "force must be true or false"),
        bad("misspelt field", "{\"id\":\"x\",\"action\":\"pin\",\"tga\":\"v1\"}", "unknown field 'tga'"),
        bad("huge payload", "{\"id\":\"x\",\"action\":\"status\",\"pad\":\"" + "p".repeat(70_000) + "\"}",
            "more than 65536"));
  }

  private static Arguments bad(String name, String payload, String expected) {
    return Arguments.of(name, payload, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCommands")
  void badCommandIsRefusedWithItsReason(String name, String payload, String expected) {
    CommandRefusedException e = assertThrows(CommandRefusedException.class,
        () -> unsigned().verify(payload.getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().startsWith("command refused: "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    assertFalse(e.duplicate());
  }

  @Test
  void refusalCarriesTheIdWhenThereIsOneAndNullOtherwise() {
    CommandRefusedException withId = assertThrows(CommandRefusedException.class,
        () -> unsigned().verify(bytes(cmd("has-id", "reboot"))));
    assertEquals("has-id", withId.commandId());
    CommandRefusedException withoutId = assertThrows(CommandRefusedException.class,
        () -> unsigned().verify("{\"action\":\"status\"}".getBytes(StandardCharsets.UTF_8)));
    assertNull(withoutId.commandId());
    CommandRefusedException numericId = assertThrows(CommandRefusedException.class,
        () -> unsigned().verify("{\"id\":3,\"action\":\"status\"}".getBytes(StandardCharsets.UTF_8)));
    assertNull(numericId.commandId());
  }

  @Test
  void controlCharactersAreEscapedInErrors() {
    String message = refusal(unsigned(), bytes(cmd("x", "pin").put("tag", "v1\u001b[31m")));
    assertTrue(message.contains("'v1\\u001b[31m'"), message);
  }

  private static JsonObject status(String id) {
    return cmd(id, "status");
  }

  private static JsonObject cmd(String id, String action) {
    return new JsonObject().put("id", id).put("action", action);
  }

  /** Signs with the documented shell recipe, or returns null when jq or openssl is missing. */
  private static String shellSignature(String json) throws IOException, InterruptedException {
    Path in = Files.createTempFile("cmd", ".json");
    try {
      Files.writeString(in, json, StandardCharsets.UTF_8);
      String script = "jq -cjS 'del(.sig)' \"$1\" | openssl dgst -sha256 -hmac \"$2\" -r | cut -d' ' -f1";
      Process p;
      try {
        p = new ProcessBuilder("sh", "-c", "command -v jq >/dev/null && command -v openssl >/dev/null || exit 3; "
            + script, "sh", in.toString(), new String(SECRET, StandardCharsets.UTF_8)).start();
      } catch (IOException e) {
        return null;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(10, TimeUnit.SECONDS);
      if (p.exitValue() == 3) {
        return null;
      }
      assertEquals(0, p.exitValue(), "shell signing failed");
      return out;
    } finally {
      Files.deleteIfExists(in);
    }
  }
}
