package sq.fuzz;

/** Settings shared by the fuzz targets. */
final class Fuzz {
    /**
     * How long each target fuzzes in `./sq test` (Jazzer's fuzzing mode, one JVM per target; see pom.xml's fuzz
     * profile). Seven targets at 20 s plus JVM start-up (about 7 s each) keep the fuzzing part of CI near three minutes and
     * the whole suite well under CI's 15 minutes.
     */
    static final String DURATION = "20s";

    private Fuzz() {
    }
}
