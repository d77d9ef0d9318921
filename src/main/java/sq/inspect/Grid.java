package sq.inspect;

/**
 * A matrix of magnitudes |v| [rows, cols] reduced to at most maxRows x maxCols cells by max-pooling, so that a single
 * outlier stays visible however large the matrix is. Cell (r, c) covers source rows r*rowBin .. and columns c*colBin ..
 * (the last cell of a row or column may cover fewer).
 */
public record Grid(int rows, int cols, int rowBin, int colBin, int srcRows, int srcCols, float[] cells) {

    public static Grid pool(float[] data, int srcRows, int srcCols, int maxRows, int maxCols) {
        if ((long) srcRows * srcCols != data.length)
            throw new IllegalArgumentException("matrix of " + data.length + " values is not " + srcRows + "x" + srcCols);
        int rowBin = Math.ceilDiv(srcRows, maxRows), colBin = Math.ceilDiv(srcCols, maxCols);
        int rows = Math.ceilDiv(srcRows, rowBin), cols = Math.ceilDiv(srcCols, colBin);
        float[] cells = new float[rows * cols];
        for (int r = 0; r < srcRows; r++) {
            int base = r * srcCols, cellRow = (r / rowBin) * cols;
            for (int c = 0; c < srcCols; c++) {
                float v = Math.abs(data[base + c]);
                int i = cellRow + c / colBin;
                if (v > cells[i]) cells[i] = v;
            }
        }
        return new Grid(rows, cols, rowBin, colBin, srcRows, srcCols, cells);
    }

    public float at(int r, int c) {
        return cells[r * cols + c];
    }

    public float max() {
        float m = 0;
        for (float v : cells) m = Math.max(m, v);
        return m;
    }

    /** Max over rows of each column cell (the per-channel max of the pooled matrix). */
    public float[] columnMax() {
        float[] m = new float[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) m[c] = Math.max(m[c], at(r, c));
        return m;
    }

    public boolean pooled() {
        return rowBin > 1 || colBin > 1;
    }
}
