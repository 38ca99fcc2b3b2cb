/** Image input: IDX and Parquet readers, Pillow-exact resize and preprocessing, Spark source. */
package io.sparkddpm.data;
