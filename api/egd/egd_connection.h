// EgdConnection: one EGD client connection (TCP or Unix) of the EGD server, on its event loop.
//
// Theory of operation. A connection owns no thread. It waits for readability (async_wait, so an
// idle connection holds no buffer), reads at most as many bytes as it has free request slots,
// parses them (EgdParser) into a bounded FIFO of requests and answers them in order into one
// output buffer written with async_write. Reading pauses while the FIFO is full, so a client that
// pipelines without reading its replies is back-pressured, not buffered without bound.
//
// A blocking read (0x02) takes its bytes from the instance's rate bucket through the Dispenser.
// When the bucket is empty it waits on a timer for the bucket's retry_after (never failing the
// request, never dropping the connection), up to max_wait_ms; the replies behind it wait too
// (FIFO). Closes: an unknown command (after answering the requests before it: the stream cannot be
// resynchronised), a request left incomplete for
// request_timeout_ms, a reply not taken for write_timeout_ms, an optional idle timeout, a revoked
// instance, a wait past max_wait_ms, and shutdown. Each is logged and counted. Output buffers hold
// entropy and are wiped after every write and when freed.
#pragma once

#include <asio.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/egd/egd_options.h"
#include "api/egd/egd_protocol.h"
#include "service/dispenser.h"
#include "service/entropy_service.h"
#include "service/metrics.h"
#include "service/registry.h"

namespace seedwell {

// EgdShared is what every connection of one server shares; the server owns it.
struct EgdShared {
  const EgdOptions& config;
  Registry& registry;
  Dispenser& dispenser;
  EntropyService& entropy;
  SharedInstance anonymous;  // the pseudo-instance of anonymous TCP callers (its own strict bucket)
  Family<Counter>& requests;   // by command
  Family<Counter>& events;     // by event
  Family<Histogram>& latency;  // by command: from a request's arrival to its reply being queued
  bool stopping = false;
};

class EgdConnection : public std::enable_shared_from_this<EgdConnection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  // EgdConnection serves |socket| for |instance_id| (empty: anonymous). |peer| and |listener| name
  // it in logs; |on_close| runs once, on the loop, when it closes. |shared| must outlive it.
  EgdConnection(Socket socket, EgdShared& shared, std::string instance_id, std::string peer,
                std::string listener, std::function<void(EgdConnection*)> on_close);
  ~EgdConnection();
  EgdConnection(const EgdConnection&) = delete;
  EgdConnection& operator=(const EgdConnection&) = delete;

  // Start begins reading requests.
  void Start();

  // Shutdown closes the connection once a reply being written is done (or now if none is).
  void Shutdown();

  // Close closes the connection now, counting |event| and logging |why| at |level|.
  void Close(const char* event, const std::string& why, bool warn);

  const std::string& instance_id() const { return instance_id_; }

 private:
  enum class Step { kDone, kWait, kClosed };
  enum class Deadline { kNone, kRequest, kWrite, kIdle };
  // kOutBytes bounds the replies buffered before a write (at least one full reply always fits).
  static constexpr std::size_t kOutBytes = 2048;
  struct Buffers;

  void StartRead();
  void OnReadable();
  void Pump();
  Step Serve(const EgdRequest& request);
  Step ServeBlockingRead(const Instance& instance, std::uint8_t n);
  Step WaitThen(std::chrono::milliseconds delay);
  void StartWrite();
  void ArmDeadline();
  // CurrentInstance is the connection's instance from the registry's cache (a Store read at most
  // once per cache TTL or change), the anonymous pseudo-instance, or an error if it is gone or
  // revoked.
  Result<SharedInstance> CurrentInstance();
  std::uint8_t* OutTail();

  Socket socket_;
  EgdShared& shared_;
  const std::string instance_id_;
  const std::string peer_;
  const std::string listener_;
  std::function<void(EgdConnection*)> on_close_;
  asio::steady_timer wait_timer_;
  asio::steady_timer deadline_timer_;

  EgdParser parser_;
  std::vector<EgdRequest> ring_;
  std::vector<std::chrono::steady_clock::time_point> arrived_;  // per ring_ slot: when it was read
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::unique_ptr<Buffers> buffers_;  // allocated on first use
  std::size_t out_len_ = 0;
  std::size_t filled_ = 0;  // bytes of the current blocking read drawn so far
  std::chrono::steady_clock::time_point wait_started_{};
  bool waited_ = false;  // the current blocking read has waited at least once

  bool reading_ = false;
  bool writing_ = false;
  bool waiting_ = false;
  bool eof_ = false;      // no more requests: the client closed or sent an unknown command
  int broken_byte_ = -1;  // the unknown command byte, if one was sent
  bool closing_ = false;  // close once the write in flight finishes
  bool closed_ = false;
  Deadline deadline_ = Deadline::kNone;
  std::uint64_t deadline_generation_ = 0;
};

}  // namespace seedwell
