package io.sparkddpm;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local Spark session ({@code local[2,4]}: two cores, four attempts a task, no UI, 4 shuffle
 * partitions) per test class: starting Spark costs seconds, so tests of a class share it, and
 * stopping it after the class keeps classes independent.
 */
public abstract class SparkSessionTestBase {
  /** The session of the running test class. */
  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .appName("test")
            .master("local[2,4]") // 4 attempts per task, so retries can be tested
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }
}
