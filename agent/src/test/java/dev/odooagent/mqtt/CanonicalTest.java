package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CanonicalTest {

  private static final List<String> SAMPLES = List.of(
      "{\"id\":\"c-1\",\"action\":\"pin\",\"tag\":\"sha-057bb3a\",\"ts\":1700000000}",
      "{ \"b\" : 1, \"a\" : [3, {\"z\": true, \"y\": null}], \"c\": \"x\\\"\\\\/\\u0001\\u007f\\t\\n\\b\\f\\r é€😀\" }",
      "{\"\\ud83d\\ude00\":1,\"\\uffff\":2,\"a\":3,\"B\":4,\"_\":5,\"aa\":6,\"\":7}",
      "{\"n\":[0,-0.0,1.5,-2.5,0.1,100,1e-5,1e-4,0.00012,1e15,1e16,1e21,123456789012345678,9007199254740993,3.14159,5e-324,1e308]}",
      "{\"nested\":{\"k\":{\"b\":[{\"d\":1,\"c\":2}],\"a\":\"\"}},\"flag\":false}",
      "{\"u\":\"\\u2028 <>&' \\u001f\"}");

  @Test
  void sortsKeysRecursivelyWithoutWhitespace() {
    JsonObject json = new JsonObject(
        "{\"ts\": 1700000000, \"id\": \"c-1\", \"action\": \"pin\", \"nested\": {\"b\": 2, \"a\": [ {\"y\":1, \"x\":2} ]}}");
    assertEquals("{\"action\":\"pin\",\"id\":\"c-1\",\"nested\":{\"a\":[{\"x\":2,\"y\":1}],\"b\":2},\"ts\":1700000000}",
        Canonical.json(json));
  }

  @Test
  void escapesStringsLikeJq() {
    JsonObject json = new JsonObject().put("s", "q\"b\\s/\u0001\u007f\t\n\b\f\ré€😀\u2028");
    assertEquals("{\"s\":\"q\\\"b\\\\s/\\u0001\\u007f\\t\\n\\b\\f\\ré€😀\u2028\"}", Canonical.json(json));
  }

  @Test
  void sortsKeysByCodePointNotUtf16Unit() {
    JsonObject json = new JsonObject(SAMPLES.get(2));
    assertEquals("{\"\":7,\"B\":4,\"_\":5,\"a\":3,\"aa\":6,\"\uffff\":2,\"😀\":1}", Canonical.json(json));
  }

  @Test
  void printsNumbersLikeJq16() {
    JsonObject json = new JsonObject(SAMPLES.get(3));
    assertEquals("{\"n\":[0,-0,1.5,-2.5,0.1,100,1e-05,0.0001,0.00012,1000000000000000,1e+16,1e+21,"
        + "123456789012345680,9007199254740992,3.14159,5e-324,1e+308]}", Canonical.json(json));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 4, 5})
  void equalsJqSortedCompactOutputWhenJqIsInstalled(int sample) throws Exception {
    String input = SAMPLES.get(sample);
    String jq = jq(input);
    assumeTrue(jq != null, "jq is not installed; the literal tests above cover the same rule");
    assertEquals(jq, Canonical.json(new JsonObject(input)));
  }

  /** Runs {@code jq -cS .} on the input, or returns null when jq cannot be run. */
  static String jq(String input) throws IOException, InterruptedException {
    Path in = Files.createTempFile("canonical", ".json");
    try {
      Files.writeString(in, input, StandardCharsets.UTF_8);
      Process p;
      try {
        p = new ProcessBuilder("jq", "-cS", ".", in.toString()).redirectErrorStream(true).start();
      } catch (IOException e) {
        return null;
      }
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("jq failed on " + input + ": " + new String(out, StandardCharsets.UTF_8));
      }
      String text = new String(out, StandardCharsets.UTF_8);
      return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    } finally {
      Files.deleteIfExists(in);
    }
  }
}
