// Thin adapters from the filesystem code to Status: the library's Status API
// is still settling, so every construction goes through these few helpers.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "ocfsx/status.h"

namespace ocfsx {
namespace status_detail {

// Each pair picks whichever factory the current Status offers; the int/long
// tag makes the first viable overload win.
template <typename S = Status>
auto Corrupt(std::string m, int) -> decltype(S::Corrupt(std::move(m))) { return S::Corrupt(std::move(m)); }
template <typename S = Status>
auto Corrupt(std::string m, long) -> decltype(S::Corruption(std::move(m))) { return S::Corruption(std::move(m)); }

// Both produce "context: strerror(err)" carrying err.
template <typename S = Status>
auto Errno(int err, std::string m, int) -> decltype(S::Error(err, std::move(m))) {
  return S::Error(err, std::move(m) + ": " + std::strerror(err));
}
template <typename S = Status>
auto Errno(int err, std::string m, long) -> decltype(S::FromErrno(err, std::move(m))) {
  return S::FromErrno(err, std::move(m));
}

template <typename S = Status>
auto Invalid(std::string m, int) -> decltype(S::Invalid(std::move(m))) { return S::Invalid(std::move(m)); }
template <typename S = Status>
auto Invalid(std::string m, long) -> decltype(S::InvalidArgument(std::move(m))) {
  return S::InvalidArgument(std::move(m));
}

template <typename S = Status>
auto NotSupported(std::string m, int) -> decltype(S::NotSupported(std::move(m))) { return S::NotSupported(std::move(m)); }
template <typename S = Status>
auto NotSupported(std::string m, long) -> decltype(S::Error(EOPNOTSUPP, std::move(m))) {
  return S::Error(EOPNOTSUPP, std::move(m));
}

template <typename S = Status>
auto Plain(int err, std::string m, int) -> decltype(S::Error(err, std::move(m))) { return S::Error(err, std::move(m)); }
template <typename S = Status>
auto Plain(int, std::string m, long) -> decltype(S::FailedPrecondition(std::move(m))) {
  return S::FailedPrecondition(std::move(m));
}

template <typename S = Status>
auto Prefix(const S& s, const std::string& p, int) -> decltype(s.WithContext(p)) { return s.WithContext(p); }
template <typename S = Status>
auto Prefix(const S& s, const std::string& p, long) -> decltype(s.WithPrefix(p)) { return s.WithPrefix(p); }

template <typename S = Status>
auto IsCorrupt(const S& s, int) -> decltype(s.corrupt()) { return s.corrupt(); }
template <typename S = Status>
auto IsCorrupt(const S& s, long) -> decltype(s.code() == S::Code::kCorruption) {
  return s.code() == S::Code::kCorruption;
}

template <typename S = Status>
auto Errno(const S& s, int) -> decltype(s.err()) { return s.err(); }
template <typename S = Status>
auto Errno(const S& s, long) -> decltype(s.sys_errno()) { return s.sys_errno(); }

}  // namespace status_detail

// On-disk damage (EUCLEAN): the message is shown to the user as is.
inline Status CorruptError(std::string msg) { return status_detail::Corrupt(std::move(msg), 0); }
// A bad request from the caller (EINVAL).
inline Status InvalidError(std::string msg) { return status_detail::Invalid(std::move(msg), 0); }
// Valid but not handled by this code (EOPNOTSUPP).
inline Status NotSupportedStatus(std::string msg) { return status_detail::NotSupported(std::move(msg), 0); }
// "context: strerror(err)".
inline Status SysError(int err, std::string context) { return status_detail::Errno(err, std::move(context), 0); }
// A message shown as is (no strerror text), carrying err where Status can.
inline Status PlainError(int err, std::string msg) { return status_detail::Plain(err, std::move(msg), 0); }
// "prefix: message" for a failed status; OK stays OK.
inline Status WithPrefix(const Status& s, const std::string& prefix) { return status_detail::Prefix(s, prefix, 0); }
inline bool IsCorruptStatus(const Status& s) { return status_detail::IsCorrupt(s, 0); }
inline int StatusErrno(const Status& s) { return status_detail::Errno(s, 0); }
inline bool IsAlreadyExistsLike(const Status& s) { return !s.ok() && StatusErrno(s) == EEXIST; }

}  // namespace ocfsx
