package io.sparkddpm;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS in the test JVM: Hadoop's {@link MiniDFSCluster} (one NameNode, one DataNode) on
 * 127.0.0.1 with ports the operating system picks, storing its blocks under a test folder. Jobs
 * reach it through {@link #uri(String)}, full {@code hdfs://host:port/...} URIs, so no Spark or
 * Hadoop setting has to point at it.
 */
public final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;
  private final URI root;

  private MiniHdfs(MiniDFSCluster cluster) {
    this.cluster = cluster;
    this.root = cluster.getURI();
  }

  /** Starts a one-DataNode HDFS keeping its name and data folders under {@code baseDir}. */
  public static MiniHdfs start(File baseDir) throws IOException {
    Configuration conf = new Configuration();
    // One DataNode holds every block: replication 1 keeps the NameNode out of safe mode.
    conf.setInt("dfs.replication", 1);
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, baseDir).numDataNodes(1).format(true).build();
    cluster.waitActive();
    return new MiniHdfs(cluster);
  }

  /** {@code hdfs://host:port/path}: an absolute path on this file system. */
  public String uri(String path) {
    return root.resolve(path.startsWith("/") ? path : "/" + path).toString();
  }

  /** The same as {@link #uri(String)}, as a Hadoop path. */
  public Path path(String path) {
    return new Path(uri(path));
  }

  /** A client of this file system (Hadoop's cached instance for the URI). */
  public FileSystem fs(Configuration conf) throws IOException {
    return FileSystem.get(root, conf);
  }

  /** Closes the cached clients of this file system, then stops the DataNode and NameNode. */
  @Override
  public void close() throws IOException {
    try {
      FileSystem.get(root, new Configuration()).close();
    } finally {
      cluster.shutdown(true);
    }
  }
}
