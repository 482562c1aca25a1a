package dev.odooagent.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/** Strict JSON reading for webhook bodies, with messages that name the offending field. */
final class WebhookJson {

  private static final int MAX_DEPTH = 64;

  private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
          .build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private WebhookJson() {
  }

  /** Parses a body that must be one JSON object. */
  static JsonNode parseObject(byte[] body) {
    if (body == null || body.length == 0) {
      throw new InvalidEventException("body is empty (send the event as a JSON object)");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("body is not valid JSON (" + brief(e.getOriginalMessage())
          + "); send the event as application/json");
    } catch (IOException e) {
      throw new InvalidEventException("body could not be read as JSON (" + brief(e.getMessage()) + ")");
    }
    if (root == null || root.isMissingNode()) {
      throw new InvalidEventException("body is empty (send the event as a JSON object)");
    }
    if (!root.isObject()) {
      throw new InvalidEventException("body must be a JSON object, got " + kind(root));
    }
    return root;
  }

  /** The object at {@code parent.field}; throws naming {@code path} when it is missing or not an object. */
  static JsonNode object(JsonNode parent, String field, String path) {
    JsonNode node = optObject(parent, field, path);
    if (node == null) {
      throw new InvalidEventException("field " + path + " is missing (expected an object)");
    }
    return node;
  }

  /** The object at {@code parent.field}, or null when absent or null; throws naming {@code path} when of another type. */
  static JsonNode optObject(JsonNode parent, String field, String path) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw new InvalidEventException("field " + path + " must be an object, got " + kind(node));
    }
    return node;
  }

  /** The array at {@code parent.field}; throws naming {@code path} when it is missing or not an array. */
  static JsonNode array(JsonNode parent, String field, String path) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      throw new InvalidEventException("field " + path + " is missing (expected an array)");
    }
    if (!node.isArray()) {
      throw new InvalidEventException("field " + path + " must be an array, got " + kind(node));
    }
    return node;
  }

  /** The string at {@code parent.field}; throws naming {@code path} when it is missing or not a string. */
  static String text(JsonNode parent, String field, String path) {
    String value = optText(parent, field, path);
    if (value == null) {
      throw new InvalidEventException("field " + path + " is missing (expected a string)");
    }
    return value;
  }

  /** The string at {@code parent.field}, or null when absent or null; throws naming {@code path} when of another type. */
  static String optText(JsonNode parent, String field, String path) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new InvalidEventException("field " + path + " must be a string, got " + kind(node));
    }
    return node.textValue();
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String brief(String message) {
    if (message == null) {
      return "unreadable input";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    String quoted = Validation.quote(line.length() > 160 ? line.substring(0, 160) : line);
    return quoted.substring(1, quoted.length() - 1);
  }
}
