package sq.serve;

/**
 * An error answered in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}} with its HTTP status.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type, param, code;

    ApiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error about one parameter. */
    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, param == null ? null : "invalid_value", message);
    }
}
