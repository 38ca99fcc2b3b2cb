package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

class LeNetConfigTest {
  private static final LeNetConfig SMALL = new LeNetConfig(28, 6, 16, 120, 84, 10);

  private static String stored() {
    JsonObject training = new JsonObject();
    training.addProperty("epochs", 4);
    return SMALL.toJson(0.9912, training).toString();
  }

  private static String refused(String json) {
    return assertThrows(IllegalArgumentException.class, () -> LeNetConfig.fromJson(json, "c.json"))
        .getMessage();
  }

  @Test
  void storedConfigRoundTripsWithItsTestAccuracy() {
    String json = stored();
    assertEquals(SMALL, LeNetConfig.fromJson(json, "c.json"));
    assertEquals(0.9912, LeNetConfig.testAccuracy(json));
    assertTrue(json.contains("\"input_scale\":\"pixel / 255\""), json);
    assertTrue(Double.isNaN(LeNetConfig.testAccuracy(json.replace("0.9912", "null"))));
  }

  @Test
  void unknownMissingAndMistypedKeysAreRefusedNamingTheFile() {
    String json = stored();
    assertEquals(
        "c.json: unknown key \"dropout\"", refused(json.replace("{", "{\"dropout\":0.5,")));
    assertEquals(
        "c.json: missing key \"fc2_units\"", refused(json.replace("\"fc2_units\":84,", "")));
    assertEquals(
        "c.json: fc1_units must be an integer, got \"120\"",
        refused(json.replace("\"fc1_units\":120", "\"fc1_units\":\"120\"")));
    assertTrue(
        refused(json.replace("pixel / 255", "pixel"))
            .startsWith("c.json: input_scale = \"pixel\""));
    assertTrue(refused(json.replace("\"LeNet\"", "\"ResNet\"")).contains("expected \"LeNet\""));
    assertTrue(
        refused(json.replace("\"sample_size\":28", "\"sample_size\":30")).contains("sample_size"));
  }

  @Test
  void aConfigWrittenBeforeRgbDataReadsAsGrayWithoutADataRecord() {
    String json = stored().replaceAll(",?\"in_channels\":1", "").replaceAll(",?\"data\":null", "");
    assertTrue(!json.contains("in_channels") && !json.contains("\"data\""), json);
    assertEquals(SMALL, LeNetConfig.fromJson(json, "c.json"));
    assertEquals(1, LeNetConfig.fromJson(json, "c.json").inChannels());
    assertTrue(LeNetConfig.data(json).isJsonNull());
    LeNetConfig rgb = LeNetConfig.forImages(3, 64, 5);
    assertEquals(rgb, LeNetConfig.fromJson(rgb.toJson(0.9, new JsonObject()).toString(), "c.json"));
    assertEquals(3 * 64 * 64, rgb.imageBytes());
    assertTrue(refused(json.replace("{", "{\"in_channels\":2,")).contains("in_channels"));
  }
}
