package io.sparkddpm.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.train.TrainConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrackingOptionsTest {
  private static Map<String, String> train(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(new String[] {"--data", "d", "--output", "o"}, 0, all, 0, 4);
    System.arraycopy(args, 0, all, 4, args.length);
    return TrainConfig.parse(all).values();
  }

  @Test
  void optionWinsOverTheEnvironmentWhichFillsWhatIsEmpty() {
    Map<String, String> env =
        Map.of("MLFLOW_TRACKING_URI", "http://env:5000", "MLFLOW_EXPERIMENT_NAME", "from-env");

    TrackingOptions fromEnv = TrackingOptions.of(train(), env);
    TrackingOptions given =
        TrackingOptions.of(
            train("--mlflow-uri", "https://given:443/x", "--mlflow-experiment", "mine"), env);

    assertEquals("http://env:5000", fromEnv.mlflowUri().toString());
    assertEquals("from-env", fromEnv.experiment());
    assertEquals("https://given:443/x", given.mlflowUri().toString());
    assertEquals("mine", given.experiment());
    assertFalse(TrackingOptions.of(train(), Map.of()).mlflow()); // off when neither is set
  }

  @Test
  void badTrackingOptionsAreUsageErrorsNamingTheOption() {
    BadInputException scheme =
        assertThrows(
            BadInputException.class,
            () -> TrackingOptions.of(train("--mlflow-uri", "file:///tmp/mlruns"), Map.of()));
    assertTrue(scheme.getMessage().contains("--mlflow-uri"), scheme.getMessage());
    BadInputException required =
        assertThrows(
            BadInputException.class,
            () -> TrackingOptions.of(train("--mlflow-required"), Map.of()));
    assertTrue(required.getMessage().contains("--mlflow-required"), required.getMessage());
  }
}
