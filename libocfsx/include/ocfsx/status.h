// Error reporting for libocfsx: a Status is an errno-style code plus one
// user-facing line (what is wrong and, where known, how to fix it).
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ocfsx {

class [[nodiscard]] Status {
 public:
  Status() = default;  // success

  // err is an errno value. EUCLEAN marks on-disk corruption, so callers
  // such as fsck can tell damage from I/O or usage errors.
  static Status Error(int err, std::string msg) { return Status(err, std::move(msg)); }
  static Status Corrupt(std::string msg) { return Status(EUCLEAN, std::move(msg)); }
  static Status Invalid(std::string msg) { return Status(EINVAL, std::move(msg)); }

  bool ok() const { return err_ == 0; }
  int err() const { return err_; }
  bool corrupt() const { return err_ == EUCLEAN; }
  const std::string& message() const { return msg_; }

  // "context: message", for adding where an error happened as it travels up.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(err_, std::string(context) + ": " + msg_);
  }

 private:
  Status(int err, std::string msg) : err_(err == 0 ? EIO : err), msg_(std::move(msg)) {}
  int err_ = 0;
  std::string msg_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

// The one errno helper: Status::Error(err, "context: strerror(err)[; hint]");
// an empty context gives just the strerror text.
Status ErrnoStatus(int err, const std::string& context, std::string_view hint = {});

}  // namespace ocfsx

#define OCFSX_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::ocfsx::Status ocfsx_status_ = (expr);  \
    if (!ocfsx_status_.ok()) return ocfsx_status_; \
  } while (0)
