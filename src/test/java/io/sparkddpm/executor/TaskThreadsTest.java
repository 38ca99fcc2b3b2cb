package io.sparkddpm.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.model.Engines;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * A task computes with as many libtorch threads as it has cores, also when the driver's JVM (the
 * executor's, in local mode) started the engine before any task ran, as TrainJob and SampleJob do.
 */
class TaskThreadsTest extends SparkSessionTestBase {

  @Test
  void taskThreadsFollowSparkTaskCpusWhenTheDriverStartedTheEngineFirst() {
    Engines.pytorch(); // the driver loads libtorch first: the property is not read again
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int cpus = Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
    List<Integer> seen =
        sc.parallelize(List.of(0, 1, 2, 3), 4)
            .mapPartitions(
                it -> {
                  ExecutorModels.useTaskThreads();
                  // What a parallel op in this thread will use.
                  return List.of(JniUtils.getNumThreads()).iterator();
                })
            .collect();
    assertEquals(List.of(cpus, cpus, cpus, cpus), seen);
  }
}
