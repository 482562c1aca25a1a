package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MqttSettingsTest {

  private static MqttSettings settings(String url, String prefix, String host, byte[] secret) {
    return new MqttSettings(url, "odoo-agent", "hunter2", null, prefix, host, secret, Path.of("/tmp/state"),
        "ghcr.io/jgtolentino/odoo-ce");
  }

  @Test
  void derivesTopicsAndClientId() {
    MqttSettings s = settings("mqtt://127.0.0.1:1883", "odoo", "prod-1", null);
    assertEquals("odoo/tags", s.tagsTopic());
    assertEquals("odoo/prod-1/cmd", s.commandTopic());
    assertEquals("odoo/all/cmd", s.allCommandTopic());
    assertEquals("odoo/prod-1/cmd/result", s.resultTopic());
    assertEquals("odoo/prod-1/status", s.statusTopic());
    assertEquals("odoo/prod-1/events", s.eventsTopic());
    assertEquals("odoo-agent-prod-1", s.clientId());
  }

  @Test
  void parsesPlainAndTlsUrls() {
    MqttSettings plain = settings("mqtt://broker.example:1884", "odoo", "h", null);
    assertFalse(plain.tls());
    assertEquals("broker.example", plain.host());
    assertEquals(1884, plain.port());
    MqttSettings tls = settings("MQTTS://[::1]", "site/odoo", "h", null);
    assertTrue(tls.tls());
    assertEquals("::1", tls.host());
    assertEquals(8883, tls.port());
    assertEquals(1883, settings("mqtt://localhost", "odoo", "h", null).port());
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:1883", "127.0.0.1:1883", "mqtt://", "mqtt://h:1883/path",
      "mqtt://h:1883?x=1", "tcp://h:1883", "mqtt://user:pw@h:1883"})
  void refusesUrlsThatAreNotMqtt(String url) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(url, "odoo", "h", null));
    assertTrue(e.getMessage().startsWith("mqtt.url "), e.getMessage());
    assertFalse(e.getMessage().contains("pw@"), "the URL's password must not be echoed: " + e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/odoo", "odoo/", "od//oo", "odoo/#", "odoo/+"})
  void refusesUnusableTopicPrefixes(String prefix) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("mqtt://h", prefix, "h", null));
    assertTrue(e.getMessage().startsWith("mqtt.topic_prefix"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", "a+", "#", "all"})
  void refusesHostIdsThatAreNotATopicLevel(String host) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("mqtt://h", "odoo", host, null));
    assertTrue(e.getMessage().startsWith("host_id"), e.getMessage());
  }

  @Test
  void refusesAnEmptyCommandSecret() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("mqtt://h", "odoo", "h", new byte[0]));
    assertTrue(e.getMessage().startsWith("mqtt.command_secret_file is empty"));
  }

  @Test
  void toStringMasksSecrets() {
    String text = settings("mqtt://h", "odoo", "h", "topsecret".getBytes(StandardCharsets.UTF_8)).toString();
    assertFalse(text.contains("hunter2"), text);
    assertFalse(text.contains("topsecret"), text);
    assertTrue(text.contains("password=***"), text);
  }
}
