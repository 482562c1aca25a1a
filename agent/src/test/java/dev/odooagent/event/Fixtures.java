package dev.odooagent.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test payloads: the fixtures under src/test/resources and helpers to alter them. */
final class Fixtures {

  static final String IMAGE = "ghcr.io/jgtolentino/odoo-ce";
  static final byte[] SECRET = "It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8);
  static final String TOKEN = "registry-hook-token-5d1f";
  static final String GITHUB_TAG = "sha-057bb3a";
  static final String INDEX_DIGEST = "sha256:87659a809f0f9a2ce60a4049ca00dc5a75ec2db8602a5127046cdff57634e0c6";
  static final String REGISTRY_DIGEST = "sha256:3edbeefdfa2a21b82077de8d75913e3e7d0e28888267e64d5e2df6425064648d";
  static final String REGISTRY_EVENT_ID = "c5f6e3d4-7a8b-4c9d-0e1f-2a3b4c5d6e7f";
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Fixtures() {
  }

  static ObjectNode json(String resource) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      return (ObjectNode) MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode githubPackage() {
    return json("github/package-published-container.json");
  }

  static ObjectNode githubRegistryPackage() {
    return json("github/registry-package-published-container.json");
  }

  static ObjectNode githubMultiArchManifest() {
    return json("github/package-published-multiarch-manifest.json");
  }

  static ObjectNode registryEnvelope() {
    return json("registry/push-envelope.json");
  }

  /** A registry envelope holding only the manifest push event of the fixture. */
  static ObjectNode registryManifestOnly() {
    ObjectNode envelope = registryEnvelope();
    JsonNode manifest = envelope.get("events").get(2);
    envelope.putArray("events").add(manifest);
    return envelope;
  }

  /** The object at a dotted path such as {@code package.package_version.container_metadata.tag}. */
  static ObjectNode at(ObjectNode root, String path) {
    ObjectNode node = root;
    for (String part : path.split("\\.")) {
      node = (ObjectNode) node.get(part);
    }
    return node;
  }

  static ObjectNode tag(ObjectNode githubPayload) {
    String root = githubPayload.has("package") ? "package" : "registry_package";
    return at(githubPayload, root + ".package_version.container_metadata.tag");
  }

  static ObjectNode target(ObjectNode envelope, int index) {
    return (ObjectNode) envelope.get("events").get(index).get("target");
  }

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
