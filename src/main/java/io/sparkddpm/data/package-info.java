/** MNIST input: IDX and Parquet readers, Pillow-exact resize, Spark source. */
package io.sparkddpm.data;
