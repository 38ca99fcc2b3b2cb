package io.sparkddpm.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.model.Engines;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * A task computes with all of its executor's cores (one task of a JVM computes at a time), also
 * when the driver's JVM (the executor's, in local mode) started the engine before any task ran, as
 * TrainJob and SampleJob do.
 */
class TaskThreadsTest extends SparkSessionTestBase {

  @Test
  void taskThreadsTakeTheLocalMastersCoresWhenTheDriverStartedTheEngineFirst() {
    Engines.pytorch(); // the driver loads libtorch first: the property is not read again
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    assertEquals("local[2,4]", sc.master());
    assertEquals("1", sc.getConf().get("spark.task.cpus", "1"));
    int expected = Math.min(2, Runtime.getRuntime().availableProcessors());
    List<Integer> seen =
        sc.parallelize(List.of(0, 1, 2, 3), 4)
            .mapPartitions(
                it -> {
                  ExecutorModels.useTaskThreads();
                  // What a parallel op in this thread will use.
                  return List.of(JniUtils.getNumThreads()).iterator();
                })
            .collect();
    assertEquals(List.of(expected, expected, expected, expected), seen);
  }

  @Test
  void threadsAreTheExecutorsCoresWithinTheProcessorsAndNeverBelowTaskCpus() {
    assertEquals(2, ExecutorModels.taskThreads("local[2,4]", null, 1, 8));
    assertEquals(6, ExecutorModels.taskThreads("local[*]", "16", 1, 6), "local[*]: processors");
    assertEquals(1, ExecutorModels.taskThreads("local", null, 1, 8));
    assertEquals(2, ExecutorModels.taskThreads("local[4]", null, 1, 2), "capped at processors");
    assertEquals(4, ExecutorModels.taskThreads("spark://h:7077", "4", 1, 16));
    assertEquals(2, ExecutorModels.taskThreads("yarn", null, 2, 16), "unknown: spark.task.cpus");
    assertEquals(3, ExecutorModels.taskThreads("yarn", "2", 3, 16), "never below task.cpus");
    assertEquals(1, ExecutorModels.taskThreads(null, null, 1, 16));
  }
}
