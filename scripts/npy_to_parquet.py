"""Writes a .npy file of N x D float64 points as a Parquet file with columns x0..x{D-1},
in row groups of 1,048,576 rows, reading the .npy through a memory map (bounded memory).
Used for the Parquet streaming figure in docs/performance.md; needs numpy and pyarrow
(both in the venv scripts/test_python.sh makes).

    python scripts/npy_to_parquet.py big.npy big.parquet
"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP = 1 << 20


def main(src: str, dst: str) -> None:
    data = np.load(src, mmap_mode="r")
    names = [f"x{j}" for j in range(data.shape[1])]
    schema = pa.schema([(n, pa.float64()) for n in names])
    with pq.ParquetWriter(dst, schema, compression="snappy") as writer:
        for start in range(0, data.shape[0], ROW_GROUP):
            block = np.ascontiguousarray(data[start : start + ROW_GROUP])
            columns = [pa.array(block[:, j]) for j in range(block.shape[1])]
            writer.write_table(pa.Table.from_arrays(columns, names=names))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
