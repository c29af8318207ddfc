// tw-sft — Triage Workbench's supervised fine-tuning program for llama.cpp models.
//
// It trains every weight of an F32 GGUF model with llama.h's training API (llama_opt_init /
// llama_opt_epoch), one example per training window starting at BOS, the loss on the answer tokens
// only (prompt and padding positions carry the label -1, which our patch 0001 turns into "no loss,
// no gradient"). Progress goes to stdout as JSON lines; llama.cpp's own log goes to stderr.
//
//   tw-sft train   --model base.gguf --data train.jsonl --out out.gguf [options]
//   tw-sft eval    --model m.gguf --data prompts.jsonl [--max-tokens 32]   greedy completions
//   tw-sft inspect --model m.gguf                                          tensor types, sizes
//   tw-sft tokenize --model m.gguf --text "..."                            ids and pieces
//
// Data (JSONL, one example a line), any of:
//   {"prompt": "...", "answer": "..."}      prompt tokenized with BOS and special tokens; loss on answer
//   {"text": "..."}                         every position trained (pre-training); long texts are cut
//                                           into windows, each starting at BOS
//   {"prompt_ids": [..], "answer_ids": [..]} or {"ids": [..]}   pre-tokenized (ids used as given)
//
// Exit codes: 0 done, 1 error, 2 refused (bad input: quantized base, no data, ...), 3 cancelled
// (SIGTERM/SIGINT: the current optimizer step is finished, nothing is written).

#include "ggml-opt.h"
#include "ggml.h"
#include "gguf.h"
#include "llama.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <clocale>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using json = nlohmann::ordered_json;

namespace {

constexpr int EXIT_ERROR     = 1;
constexpr int EXIT_REFUSED   = 2;
constexpr int EXIT_CANCELLED = 3;

std::atomic<bool> g_stop{ false };

void on_signal(int) {
    g_stop = true;
}

struct refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void emit(const json & j) {
    const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    fprintf(stdout, "%s\n", s.c_str());
    fflush(stdout);
}

// stderr gets llama.cpp's warnings and errors (everything with --verbose)
bool g_verbose = false;

void log_cb(enum ggml_log_level level, const char * text, void *) {
    if (g_verbose || level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

double now_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// arguments

struct Args {
    std::string cmd;
    std::string model, data, val_data, out, text;
    int32_t     window          = 0;  // 0 = auto from the data
    int32_t     max_window      = 512;
    int32_t     ubatch          = 0;  // 0 = window
    int32_t     accum           = 1;  // windows per optimizer step
    int32_t     epochs          = 1;
    int64_t     max_steps       = -1;
    float       lr              = 1e-3f;
    float       lr_min          = -1.0f;  // default lr/10
    float       warmup          = 0.05f;  // fraction of the steps
    std::string schedule        = "cosine";
    float       wd              = 0.0f;
    float       beta1           = 0.9f, beta2 = 0.999f;
    std::string optimizer       = "adamw";
    float       val_split       = 0.0f;
    int64_t     eval_every      = 0;  // steps; 0 = at the end of each epoch only
    int32_t     threads         = 2;
    uint64_t    seed            = 42;
    bool        train_embd      = false;
    double      progress_every  = 1.0;  // seconds
    int32_t     max_tokens      = 32;
    int32_t     ctx             = 0;
    bool        mask_prompt     = true;
    bool        checksum        = false;
    std::string stop_text;
};

[[noreturn]] void usage_error(const std::string & msg) {
    throw refused(msg + " (see the header of native/trainer/sft.cpp for usage)");
}

Args parse_args(int argc, char ** argv) {
    Args a;
    if (argc < 2) {
        usage_error("missing command: train | eval | inspect | tokenize");
    }
    a.cmd = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        auto        v = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage_error("missing value for " + k);
            }
            return argv[++i];
        };
        auto num = [&](const std::string & s) -> double {
            char * end = nullptr;
            double d   = strtod(s.c_str(), &end);
            if (!end || *end != '\0' || s.empty()) {
                usage_error("not a number for " + k + ": " + s);
            }
            return d;
        };
        if (k == "--model" || k == "-m") {
            a.model = v();
        } else if (k == "--data" || k == "-f") {
            a.data = v();
        } else if (k == "--val-data") {
            a.val_data = v();
        } else if (k == "--out" || k == "-o") {
            a.out = v();
        } else if (k == "--text") {
            a.text = v();
        } else if (k == "--window" || k == "--ctx-train") {
            a.window = (int32_t) num(v());
        } else if (k == "--max-window") {
            a.max_window = (int32_t) num(v());
        } else if (k == "--ubatch") {
            a.ubatch = (int32_t) num(v());
        } else if (k == "--accum" || k == "--batch") {
            a.accum = (int32_t) num(v());
        } else if (k == "--epochs") {
            a.epochs = (int32_t) num(v());
        } else if (k == "--max-steps") {
            a.max_steps = (int64_t) num(v());
        } else if (k == "--lr") {
            a.lr = (float) num(v());
        } else if (k == "--lr-min") {
            a.lr_min = (float) num(v());
        } else if (k == "--warmup") {
            a.warmup = (float) num(v());
        } else if (k == "--schedule") {
            a.schedule = v();
        } else if (k == "--wd") {
            a.wd = (float) num(v());
        } else if (k == "--beta1") {
            a.beta1 = (float) num(v());
        } else if (k == "--beta2") {
            a.beta2 = (float) num(v());
        } else if (k == "--optimizer") {
            a.optimizer = v();
        } else if (k == "--val-split") {
            a.val_split = (float) num(v());
        } else if (k == "--eval-every") {
            a.eval_every = (int64_t) num(v());
        } else if (k == "--threads" || k == "-t") {
            a.threads = (int32_t) num(v());
        } else if (k == "--seed") {
            a.seed = (uint64_t) num(v());
        } else if (k == "--train-embeddings") {
            a.train_embd = true;
        } else if (k == "--no-mask-prompt") {
            a.mask_prompt = false;
        } else if (k == "--progress-every") {
            a.progress_every = num(v());
        } else if (k == "--max-tokens") {
            a.max_tokens = (int32_t) num(v());
        } else if (k == "--ctx") {
            a.ctx = (int32_t) num(v());
        } else if (k == "--stop") {
            a.stop_text = v();
        } else if (k == "--checksum") {
            a.checksum = true;
        } else if (k == "--verbose") {
            g_verbose = true;
        } else {
            usage_error("unknown option " + k);
        }
    }
    if (a.model.empty()) {
        usage_error("--model is required");
    }
    return a;
}

// ---------------------------------------------------------------------------------------------
// model inspection (GGUF header only, nothing is loaded)

struct ModelInfo {
    std::string                   arch;
    uint64_t                      n_params = 0;
    uint64_t                      bytes    = 0;
    std::map<std::string, int>    types;
    std::vector<std::string>      not_f32;  // weight tensors that are not F32
    uint32_t                      n_embd = 0, n_layer = 0, n_ctx_train = 0, n_ff = 0, n_head = 0;
    uint64_t                      n_vocab = 0;
};

uint32_t kv_u32(gguf_context * g, const std::string & key) {
    const int64_t id = gguf_find_key(g, key.c_str());
    if (id < 0) {
        return 0;
    }
    switch (gguf_get_kv_type(g, id)) {
        case GGUF_TYPE_UINT32: return gguf_get_val_u32(g, id);
        case GGUF_TYPE_INT32:  return (uint32_t) gguf_get_val_i32(g, id);
        case GGUF_TYPE_UINT64: return (uint32_t) gguf_get_val_u64(g, id);
        default:               return 0;
    }
}

ModelInfo inspect_model(const std::string & path) {
    ggml_context *   meta = nullptr;
    gguf_init_params gp{ /*no_alloc =*/true, /*ctx =*/&meta };
    gguf_context *   g = gguf_init_from_file(path.c_str(), gp);
    if (!g) {
        throw refused("cannot read the model file as GGUF: " + path);
    }
    ModelInfo     mi;
    const int64_t arch_id = gguf_find_key(g, "general.architecture");
    mi.arch               = arch_id >= 0 ? gguf_get_val_str(g, arch_id) : "";
    for (int64_t i = 0; i < gguf_get_n_tensors(g); ++i) {
        const char *    name = gguf_get_tensor_name(g, i);
        const ggml_type t    = gguf_get_tensor_type(g, i);
        const int64_t * ne   = gguf_get_tensor_ne(g, i);
        uint64_t        n    = 1;
        for (int d = 0; d < GGML_MAX_DIMS; ++d) {
            n *= (uint64_t) ne[d];
        }
        mi.n_params += n;
        mi.bytes += gguf_get_tensor_size(g, i);
        mi.types[ggml_type_name(t)]++;
        if (t != GGML_TYPE_F32 && mi.not_f32.size() < 8) {
            mi.not_f32.push_back(std::string(name) + " (" + ggml_type_name(t) + ")");
        }
    }
    mi.n_embd      = kv_u32(g, mi.arch + ".embedding_length");
    mi.n_layer     = kv_u32(g, mi.arch + ".block_count");
    mi.n_ctx_train = kv_u32(g, mi.arch + ".context_length");
    mi.n_ff        = kv_u32(g, mi.arch + ".feed_forward_length");
    mi.n_head      = kv_u32(g, mi.arch + ".attention.head_count");
    const int64_t tok_id = gguf_find_key(g, "tokenizer.ggml.tokens");
    mi.n_vocab           = tok_id >= 0 ? gguf_get_arr_n(g, tok_id) : 0;
    gguf_free(g);
    ggml_free(meta);
    return mi;
}

// FNV-1a over each tensor's bytes: lets tests check which weights a run changed
json tensor_checksums(const std::string & path) {
    ggml_context *   data = nullptr;
    gguf_init_params gp{ /*no_alloc =*/false, /*ctx =*/&data };
    gguf_context *   g = gguf_init_from_file(path.c_str(), gp);
    if (!g) {
        throw refused("cannot read the model file as GGUF: " + path);
    }
    json out = json::object();
    for (int64_t i = 0; i < gguf_get_n_tensors(g); ++i) {
        const char *    name = gguf_get_tensor_name(g, i);
        ggml_tensor *   t    = ggml_get_tensor(data, name);
        const uint8_t * p    = (const uint8_t *) t->data;
        uint64_t        h    = 1469598103934665603ULL;
        for (size_t k = 0, n = ggml_nbytes(t); k < n; ++k) {
            h = (h ^ p[k]) * 1099511628211ULL;
        }
        char buf[17];
        snprintf(buf, sizeof(buf), "%016" PRIx64, h);
        out[name] = buf;
    }
    gguf_free(g);
    ggml_free(data);
    return out;
}

json model_json(const ModelInfo & mi) {
    json types = json::object();
    for (auto & [k, n] : mi.types) {
        types[k] = n;
    }
    return json{
        { "architecture", mi.arch },   { "params", mi.n_params },       { "bytes", mi.bytes },
        { "tensor_types", types },     { "f32", mi.not_f32.empty() },   { "n_embd", mi.n_embd },
        { "n_layer", mi.n_layer },     { "n_ff", mi.n_ff },             { "n_head", mi.n_head },
        { "n_vocab", mi.n_vocab },
        { "n_ctx_train", mi.n_ctx_train },
    };
}

void require_f32(const ModelInfo & mi) {
    if (mi.not_f32.empty()) {
        return;
    }
    std::string list;
    for (auto & s : mi.not_f32) {
        list += (list.empty() ? "" : ", ") + s;
    }
    throw refused("the base model is not F32 (" + list +
                  "): llama.cpp can only train F32 weights (its backward pass has no quantized or F16 "
                  "matrix products), so a quantized model cannot be fine-tuned. Use the F32 original of "
                  "the base model.");
}

// ---------------------------------------------------------------------------------------------
// data

struct Example {
    std::vector<llama_token> tokens;   // BOS + prompt + answer
    std::vector<uint8_t>     trained;  // per token: 1 if predicting it is trained
};

struct Window {
    std::vector<llama_token> tokens;  // length == window
    std::vector<llama_token> labels;  // next token or -1
    int32_t                  n_label = 0;
};

std::vector<llama_token> tokenize(const llama_vocab * vocab, const std::string & text, bool add_special) {
    int32_t                  n = (int32_t) text.size() + 8;
    std::vector<llama_token> out(n);
    int32_t got = llama_tokenize(vocab, text.data(), (int32_t) text.size(), out.data(), n, add_special, true);
    if (got < 0) {
        out.resize(-got);
        got = llama_tokenize(vocab, text.data(), (int32_t) text.size(), out.data(), -got, add_special, true);
    }
    out.resize(std::max(got, 0));
    return out;
}

std::vector<llama_token> ids_of(const json & arr, int32_t n_vocab, size_t line) {
    std::vector<llama_token> out;
    for (auto & v : arr) {
        const int64_t id = v.get<int64_t>();
        if (id < 0 || id >= n_vocab) {
            throw refused("line " + std::to_string(line) + ": token id " + std::to_string(id) + " outside the vocabulary");
        }
        out.push_back((llama_token) id);
    }
    return out;
}

std::vector<Example> read_examples(const std::string & path, const llama_vocab * vocab, bool mask_prompt) {
    std::ifstream in(path);
    if (!in) {
        throw refused("cannot open the training data: " + path);
    }
    const int32_t        n_vocab = llama_vocab_n_tokens(vocab);
    std::vector<Example> out;
    std::string          line;
    size_t               lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.find_first_not_of(" \t\r\n") == std::string::npos) {
            continue;
        }
        json j;
        try {
            j = json::parse(line);
        } catch (const std::exception & e) {
            throw refused("line " + std::to_string(lineno) + " of the training data is not JSON: " + e.what());
        }
        Example ex;
        if (j.contains("prompt") || j.contains("prompt_ids")) {
            std::vector<llama_token> p, a;
            if (j.contains("prompt_ids")) {
                p = ids_of(j["prompt_ids"], n_vocab, lineno);
                a = ids_of(j.value("answer_ids", json::array()), n_vocab, lineno);
            } else {
                p = tokenize(vocab, j["prompt"].get<std::string>(), true);
                a = tokenize(vocab, j.value("answer", std::string()), false);
            }
            ex.tokens = p;
            ex.tokens.insert(ex.tokens.end(), a.begin(), a.end());
            ex.trained.assign(p.size(), mask_prompt ? 0 : 1);
            ex.trained.insert(ex.trained.end(), a.size(), 1);
            if (!p.empty()) {
                ex.trained[0] = 0;  // nothing predicts the first token
            }
        } else if (j.contains("text") || j.contains("ids")) {
            if (j.contains("ids")) {
                ex.tokens = ids_of(j["ids"], n_vocab, lineno);
            } else {
                ex.tokens = tokenize(vocab, j["text"].get<std::string>(), true);
            }
            ex.trained.assign(ex.tokens.size(), 1);
            if (!ex.tokens.empty()) {
                ex.trained[0] = 0;
            }
        } else {
            throw refused("line " + std::to_string(lineno) +
                          ": an example needs \"prompt\"+\"answer\", \"text\", \"prompt_ids\"+\"answer_ids\" or \"ids\"");
        }
        if (ex.tokens.size() < 2) {
            continue;
        }
        out.push_back(std::move(ex));
    }
    return out;
}

struct WindowStats {
    size_t n_truncated = 0;
    size_t n_split     = 0;
};

// One example per window. An example longer than the window: a prompt/answer example keeps BOS, the
// head of the prompt, and the answer with the tokens just before it (the turn tags); a text example is
// cut into consecutive windows that each start at BOS.
void make_windows(const std::vector<Example> & exs, int32_t W, llama_token bos, llama_token pad,
                  std::vector<Window> & out, WindowStats & st) {
    for (auto & ex : exs) {
        std::vector<std::pair<std::vector<llama_token>, std::vector<uint8_t>>> pieces;
        const size_t n = ex.tokens.size();
        if ((int64_t) n <= W) {
            pieces.push_back({ ex.tokens, ex.trained });
        } else {
            const bool is_text = std::all_of(ex.trained.begin() + 1, ex.trained.end(), [](uint8_t t) { return t; });
            if (is_text) {
                st.n_split++;
                const bool   starts_bos = ex.tokens[0] == bos;
                const size_t body0      = starts_bos ? 1 : 0;
                const size_t step       = (size_t) W - 1;
                for (size_t s = body0; s < n; s += step) {
                    std::vector<llama_token> t{ bos };
                    std::vector<uint8_t>     tr{ 0 };
                    // the first token after BOS is predicted from BOS alone: train it only at the true start
                    for (size_t k = s; k < std::min(n, s + step); ++k) {
                        t.push_back(ex.tokens[k]);
                        tr.push_back(k == s && s != body0 ? 0 : 1);
                    }
                    if (t.size() >= 2) {
                        pieces.push_back({ t, tr });
                    }
                }
            } else {
                st.n_truncated++;
                size_t first_trained = 1;
                while (first_trained < n && !ex.trained[first_trained]) {
                    first_trained++;
                }
                const size_t n_ans  = n - first_trained;
                const size_t keep_tail = std::min<size_t>(8, first_trained - 1);  // the tokens just before the answer
                std::vector<llama_token> t;
                std::vector<uint8_t>     tr;
                if ((int64_t) (1 + keep_tail + n_ans) > W) {
                    // even the answer does not fit: keep its beginning
                    t.push_back(ex.tokens[0]);
                    tr.push_back(0);
                    for (size_t k = first_trained - keep_tail; k < n && (int64_t) t.size() < W; ++k) {
                        t.push_back(ex.tokens[k]);
                        tr.push_back(ex.trained[k]);
                    }
                } else {
                    const size_t head = (size_t) W - keep_tail - n_ans;  // includes BOS
                    for (size_t k = 0; k < head; ++k) {
                        t.push_back(ex.tokens[k]);
                        tr.push_back(ex.trained[k]);
                    }
                    for (size_t k = first_trained - keep_tail; k < n; ++k) {
                        t.push_back(ex.tokens[k]);
                        tr.push_back(ex.trained[k]);
                    }
                }
                pieces.push_back({ t, tr });
            }
        }
        for (auto & [t, tr] : pieces) {
            Window w;
            w.tokens.assign(W, pad);
            w.labels.assign(W, -1);
            for (size_t i = 0; i < t.size(); ++i) {
                w.tokens[i] = t[i];
                if (i + 1 < t.size() && tr[i + 1]) {
                    w.labels[i] = t[i + 1];
                    w.n_label++;
                }
            }
            out.push_back(std::move(w));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// training

struct Schedule {
    float       lr0, lr_min, wd, beta1, beta2;
    int64_t     warmup_steps = 0, total_steps = 1;
    std::string kind;
    int64_t     step = 0;  // optimizer steps taken so far
    float       lr_now = 0;

    float lr_at(int64_t s) const {
        if (warmup_steps > 0 && s < warmup_steps) {
            return lr0 * float(s + 1) / float(warmup_steps);
        }
        const double span = std::max<int64_t>(1, total_steps - warmup_steps);
        const double p    = std::min(1.0, double(s - warmup_steps) / span);
        if (kind == "constant") {
            return lr0;
        }
        if (kind == "linear") {
            return float(lr_min + (lr0 - lr_min) * (1.0 - p));
        }
        return float(lr_min + (lr0 - lr_min) * 0.5 * (1.0 + std::cos(M_PI * p)));
    }
};

ggml_opt_optimizer_params opt_pars_cb(void * ud) {
    auto *                    sch = (Schedule *) ud;
    ggml_opt_optimizer_params p   = ggml_opt_get_default_optimizer_params(nullptr);
    sch->lr_now                   = sch->lr_at(sch->step);
    p.adamw.alpha = p.sgd.alpha = sch->lr_now;
    p.adamw.wd = p.sgd.wd = sch->wd;
    p.adamw.beta1         = sch->beta1;
    p.adamw.beta2         = sch->beta2;
    return p;
}

struct Acc {
    double  loss_sum = 0;  // sum over windows of loss * n_label
    int64_t n_label  = 0;
    int64_t n_correct = 0;
    int64_t n_windows = 0;
    void    add(double loss, int64_t nl, int64_t nc) {
        loss_sum += loss * nl;
        n_label += nl;
        n_correct += nc;
        n_windows++;
    }
    json loss() const { return n_label ? json(loss_sum / n_label) : json(nullptr); }
    json acc() const { return n_label ? json(double(n_correct) / n_label) : json(nullptr); }
};

// runs one window through llama_opt_epoch (train = forward+backward, else forward only)
void run_window(llama_context * ctx, ggml_opt_dataset_t ds, ggml_opt_result_t res, const Window & w, bool train,
                Acc & acc) {
    const size_t W = w.tokens.size();
    memcpy(ggml_opt_dataset_data(ds)->data, w.tokens.data(), W * sizeof(llama_token));
    memcpy(ggml_opt_dataset_labels(ds)->data, w.labels.data(), W * sizeof(llama_token));
    ggml_opt_result_reset(res);
    llama_opt_epoch(ctx, ds, train ? res : nullptr, train ? nullptr : res, train ? 1 : 0, nullptr, nullptr);
    double loss = 0, unc = 0;
    ggml_opt_result_loss(res, &loss, &unc);
    std::vector<int32_t> pred(W);
    int64_t              nd = 0;
    ggml_opt_result_ndata(res, &nd);
    if ((size_t) nd != W) {
        throw std::runtime_error("unexpected prediction count from llama_opt_epoch");
    }
    ggml_opt_result_pred(res, pred.data());
    int64_t correct = 0;
    for (size_t i = 0; i < W; ++i) {
        correct += w.labels[i] >= 0 && pred[i] == w.labels[i];
    }
    if (w.n_label > 0) {
        acc.add(loss, w.n_label, correct);
    }
}

Acc evaluate(llama_context * ctx, ggml_opt_dataset_t ds, ggml_opt_result_t res, const std::vector<Window> & val) {
    Acc acc;
    for (auto & w : val) {
        run_window(ctx, ds, res, w, false, acc);
    }
    return acc;
}

uint64_t splitmix(uint64_t & s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

template <typename T> void shuffle(std::vector<T> & v, uint64_t seed) {
    uint64_t s = seed;
    for (size_t i = v.size(); i > 1; --i) {
        std::swap(v[i - 1], v[splitmix(s) % i]);
    }
}

// llama.cpp hands the thread count to the CPU backend only when it decodes; training alone would run on
// the backend's default of 4 threads (oversubscribed and sleeping on 2 cores, ~20% slower). One decoded
// token sets it, as llama.cpp's own tools do with their warm-up.
void set_backend_threads(llama_context * ctx, const llama_vocab * vocab) {
    llama_token t = llama_vocab_bos(vocab);
    if (t == LLAMA_TOKEN_NULL) {
        t = 0;
    }
    if (llama_decode(ctx, llama_batch_get_one(&t, 1)) != 0) {
        throw std::runtime_error("warm-up decode failed");
    }
    llama_memory_clear(llama_get_memory(ctx), true);
}

llama_model * load_model(const std::string & path, bool writable) {
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers       = 0;
    mp.use_extra_bufts    = false;  // no repacked weight layouts: training writes the weights
    if (writable) {
        mp.load_mode = LLAMA_LOAD_MODE_NONE;  // weights in writable memory, not a read-only mmap
    }
    llama_model * m = llama_model_load_from_file(path.c_str(), mp);
    if (!m) {
        throw std::runtime_error("llama.cpp could not load the model " + path + " (see the lines above)");
    }
    return m;
}

int cmd_train(const Args & a) {
    if (a.data.empty() || a.out.empty()) {
        usage_error("train needs --data and --out");
    }
    if (a.optimizer != "adamw" && a.optimizer != "sgd") {
        usage_error("--optimizer must be adamw or sgd");
    }
    if (a.accum < 1 || a.epochs < 1) {
        usage_error("--accum and --epochs must be at least 1");
    }
    const ModelInfo mi = inspect_model(a.model);
    require_f32(mi);

    const double t0    = now_s();
    llama_model * model = load_model(a.model, true);
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const llama_token   bos   = llama_vocab_bos(vocab);
    llama_token         pad   = llama_vocab_eos(vocab);
    if (pad == LLAMA_TOKEN_NULL) {
        pad = 0;
    }

    std::vector<Example> train_ex = read_examples(a.data, vocab, a.mask_prompt);
    std::vector<Example> val_ex;
    if (!a.val_data.empty()) {
        val_ex = read_examples(a.val_data, vocab, a.mask_prompt);
    } else if (a.val_split > 0.0f) {
        shuffle(train_ex, a.seed ^ 0x5eedULL);
        const size_t n_val = (size_t) std::floor(train_ex.size() * a.val_split);
        val_ex.assign(train_ex.end() - n_val, train_ex.end());
        train_ex.resize(train_ex.size() - n_val);
    }
    if (train_ex.empty()) {
        throw refused("the training data has no usable examples");
    }

    // window: the longest example up to the 98th percentile, rounded up to a multiple of 16
    int32_t W = a.window;
    if (W <= 0) {
        std::vector<size_t> lens;
        for (auto & e : train_ex) {
            lens.push_back(e.tokens.size());
        }
        std::sort(lens.begin(), lens.end());
        const size_t p98 = lens[std::min(lens.size() - 1, (size_t) std::ceil(lens.size() * 0.98) - 1)];
        W                = (int32_t) std::min<size_t>(a.max_window, ((p98 + 15) / 16) * 16);
        W                = std::max(W, 16);
    }
    const int32_t ub = a.ubatch > 0 ? std::min(a.ubatch, W) : W;
    if (W % ub != 0) {
        usage_error("--window must be a multiple of --ubatch");
    }

    std::vector<Window> train_w, val_w;
    WindowStats         st_train, st_val;
    make_windows(train_ex, W, bos, pad, train_w, st_train);
    make_windows(val_ex, W, bos, pad, val_w, st_val);
    int64_t n_label_train = 0, n_unlabelled = 0;
    for (auto & w : train_w) {
        n_label_train += w.n_label;
        n_unlabelled += w.n_label == 0;
    }

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx                = (uint32_t) std::max(W, 256);
    cp.n_batch              = (uint32_t) W;
    cp.n_ubatch             = (uint32_t) ub;
    cp.n_threads = cp.n_threads_batch = a.threads;
    cp.type_k = cp.type_v = GGML_TYPE_F32;  // no F16 OUT_PROD in the backward pass
    cp.flash_attn_type    = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf            = true;
    llama_context * ctx   = llama_init_from_model(model, cp);
    if (!ctx) {
        throw std::runtime_error("llama.cpp could not create a context (see the lines above)");
    }
    set_backend_threads(ctx, vocab);

    const int64_t windows_per_epoch = ((int64_t) train_w.size() + a.accum - 1) / a.accum * a.accum;
    const int64_t steps_per_epoch   = windows_per_epoch / a.accum;
    int64_t       total_steps       = steps_per_epoch * a.epochs;
    if (a.max_steps > 0) {
        total_steps = std::min(total_steps, a.max_steps);
    }

    Schedule sch;
    sch.lr0          = a.lr;
    sch.lr_min       = a.lr_min >= 0 ? a.lr_min : a.lr / 10.0f;
    sch.wd           = a.wd;
    sch.beta1        = a.beta1;
    sch.beta2        = a.beta2;
    sch.kind         = a.schedule;
    sch.total_steps  = total_steps;
    sch.warmup_steps = (int64_t) std::floor(a.warmup * total_steps);

    llama_opt_params lp{};
    lp.n_ctx_train        = (uint32_t) llama_model_n_ctx_train(model);  // the saved model keeps its context length
    lp.param_filter       = llama_opt_param_filter_all;
    lp.param_filter_ud    = nullptr;
    lp.get_opt_pars       = opt_pars_cb;
    lp.get_opt_pars_ud    = &sch;
    lp.optimizer_type     = a.optimizer == "sgd" ? GGML_OPT_OPTIMIZER_TYPE_SGD : GGML_OPT_OPTIMIZER_TYPE_ADAMW;
    lp.n_window           = (uint32_t) W;
    lp.n_windows_per_step = (uint32_t) a.accum;
    lp.train_tok_embd     = a.train_embd;
    llama_opt_init(ctx, model, lp);

    ggml_opt_dataset_t ds  = ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, W, W, 1, 1);
    ggml_opt_result_t  res = ggml_opt_result_init();

    emit({
        { "type", "start" },
        { "model", model_json(mi) },
        { "train_examples", train_ex.size() },
        { "val_examples", val_ex.size() },
        { "train_windows", train_w.size() },
        { "val_windows", val_w.size() },
        { "window", W },
        { "ubatch", ub },
        { "accum", a.accum },
        { "epochs", a.epochs },
        { "steps_total", total_steps },
        { "train_label_tokens", n_label_train },
        { "unlabelled_windows", n_unlabelled },
        { "truncated_examples", st_train.n_truncated + st_val.n_truncated },
        { "split_texts", st_train.n_split + st_val.n_split },
        { "loss_on", a.mask_prompt ? "answer" : "all" },
        { "load_s", now_s() - t0 },
    });

    json last_val_loss = nullptr, last_val_acc = nullptr;
    auto run_val       = [&](int epoch_no, bool final_of_epoch) {
        if (val_w.empty()) {
            return;
        }
        const double tv = now_s();
        Acc          v  = evaluate(ctx, ds, res, val_w);
        last_val_loss   = v.loss();
        last_val_acc    = v.acc();
        emit({ { "type", "val" },           { "step", sch.step },     { "epoch", epoch_no },
               { "val_loss", last_val_loss }, { "val_acc", last_val_acc }, { "end_of_epoch", final_of_epoch },
               { "seconds", now_s() - tv } });
    };

    const double t_train  = now_s();
    double       t_report = t_train;
    double       t_step_time = 0;  // seconds spent in training windows
    int64_t      windows_done = 0, tokens_done = 0;
    Acc          since_report;
    bool         cancelled = false;
    bool         done      = false;

    for (int epoch = 0; epoch < a.epochs && !done && !cancelled; ++epoch) {
        std::vector<size_t> order(train_w.size());
        for (size_t i = 0; i < order.size(); ++i) {
            order[i] = i;
        }
        shuffle(order, a.seed * 1000003ULL + (uint64_t) epoch);
        for (size_t i = 0; (int64_t) order.size() < windows_per_epoch; ++i) {
            order.push_back(order[i]);  // fill the last optimizer step
        }
        Acc epoch_acc;
        for (size_t k = 0; k < order.size(); ++k) {
            if (g_stop && k % a.accum == 0) {
                cancelled = true;
                break;
            }
            const double tw = now_s();
            Acc          one;
            run_window(ctx, ds, res, train_w[order[k]], true, one);
            t_step_time += now_s() - tw;
            windows_done++;
            tokens_done += W;
            if (one.n_windows) {
                epoch_acc.add(one.loss_sum / std::max<int64_t>(1, one.n_label), one.n_label, one.n_correct);
                since_report.add(one.loss_sum / std::max<int64_t>(1, one.n_label), one.n_label, one.n_correct);
            }
            const bool step_done = (k + 1) % a.accum == 0;
            if (!step_done) {
                continue;
            }
            sch.step++;
            const bool   last  = sch.step >= total_steps;
            const double t_now = now_s();
            if (a.eval_every > 0 && sch.step % a.eval_every == 0 && !last) {
                run_val(epoch, false);
            }
            if (t_now - t_report >= a.progress_every || last || sch.step == 1) {
                const double  tps     = tokens_done / std::max(1e-9, t_step_time);
                const int64_t left    = (total_steps - sch.step) * a.accum;
                emit({
                    { "type", "progress" },
                    { "step", sch.step },
                    { "steps_total", total_steps },
                    { "epoch", epoch + double(k + 1) / order.size() },
                    { "train_loss", since_report.loss() },
                    { "val_loss", last_val_loss },
                    { "answer_acc", since_report.acc() },
                    { "val_acc", last_val_acc },
                    { "lr", sch.lr_now },
                    { "tokens_per_s", tps },
                    { "eta_s", left * W / std::max(1e-9, tps) },
                    { "elapsed_s", now_s() - t_train },
                });
                since_report = Acc();
                t_report     = now_s();
            }
            if (last) {
                done = true;
                break;
            }
        }
        if (cancelled) {
            break;
        }
        run_val(epoch + 1, true);
        emit({ { "type", "epoch" },
               { "epoch", epoch + 1 },
               { "step", sch.step },
               { "train_loss", epoch_acc.loss() },
               { "train_acc", epoch_acc.acc() },
               { "val_loss", last_val_loss },
               { "val_acc", last_val_acc },
               { "elapsed_s", now_s() - t_train } });
    }

    const double tps = tokens_done / std::max(1e-9, t_step_time);
    if (cancelled) {
        emit({ { "type", "cancelled" }, { "step", sch.step }, { "saved", false }, { "elapsed_s", now_s() - t_train } });
    } else {
        const std::string tmp = a.out + ".partial";
        llama_model_save_to_file(model, tmp.c_str());
        if (std::rename(tmp.c_str(), a.out.c_str()) != 0) {
            throw std::runtime_error("could not move the trained model into place: " + a.out);
        }
        emit({ { "type", "done" },
               { "out", a.out },
               { "steps", sch.step },
               { "windows", windows_done },
               { "tokens", tokens_done },
               { "tokens_per_s", tps },
               { "train_seconds", t_step_time },
               { "val_loss", last_val_loss },
               { "val_acc", last_val_acc },
               { "elapsed_s", now_s() - t0 } });
    }

    ggml_opt_result_free(res);
    ggml_opt_dataset_free(ds);
    llama_free(ctx);
    llama_model_free(model);
    return cancelled ? EXIT_CANCELLED : 0;
}

// ---------------------------------------------------------------------------------------------
// eval: greedy completion of each prompt

std::string piece(const llama_vocab * vocab, llama_token t) {
    char    buf[256];
    int32_t n = llama_token_to_piece(vocab, t, buf, sizeof(buf), 0, false);
    if (n < 0) {
        std::string s(-n, '\0');
        llama_token_to_piece(vocab, t, s.data(), -n, 0, false);
        return s;
    }
    return std::string(buf, n);
}

int cmd_eval(const Args & a) {
    if (a.data.empty()) {
        usage_error("eval needs --data");
    }
    llama_model *       model = load_model(a.model, false);
    const llama_vocab * vocab = llama_model_get_vocab(model);
    std::ifstream       in(a.data);
    if (!in) {
        throw refused("cannot open " + a.data);
    }
    std::vector<std::string> prompts;
    std::string              line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r\n") == std::string::npos) {
            continue;
        }
        prompts.push_back(json::parse(line).at("prompt").get<std::string>());
    }
    int32_t max_prompt = 0;
    std::vector<std::vector<llama_token>> toks;
    for (auto & p : prompts) {
        toks.push_back(tokenize(vocab, p, true));
        max_prompt = std::max<int32_t>(max_prompt, (int32_t) toks.back().size());
    }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx                = (uint32_t) (a.ctx > 0 ? a.ctx : std::max(256, max_prompt + a.max_tokens + 1));
    cp.n_batch              = cp.n_ctx;
    cp.n_ubatch             = std::min<uint32_t>(cp.n_ctx, 512);
    cp.n_threads = cp.n_threads_batch = a.threads;
    cp.no_perf                        = true;
    llama_context * ctx               = llama_init_from_model(model, cp);
    if (!ctx) {
        throw std::runtime_error("llama.cpp could not create a context");
    }
    set_backend_threads(ctx, vocab);
    const int32_t n_vocab = llama_vocab_n_tokens(vocab);
    const double  t0      = now_s();
    int64_t       n_gen   = 0;
    for (size_t i = 0; i < toks.size() && !g_stop; ++i) {
        llama_memory_clear(llama_get_memory(ctx), true);
        std::vector<llama_token> t = toks[i];
        if ((int32_t) t.size() + a.max_tokens > (int32_t) cp.n_ctx) {
            t.erase(t.begin() + 1, t.begin() + 1 + (t.size() + a.max_tokens - cp.n_ctx));
        }
        if (llama_decode(ctx, llama_batch_get_one(t.data(), (int32_t) t.size())) != 0) {
            throw std::runtime_error("decode failed");
        }
        std::string              text;
        std::vector<llama_token> out;
        for (int32_t k = 0; k < a.max_tokens; ++k) {
            const float * logits = llama_get_logits_ith(ctx, -1);
            llama_token   best   = 0;
            for (llama_token v = 1; v < n_vocab; ++v) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            if (llama_vocab_is_eog(vocab, best)) {
                break;
            }
            out.push_back(best);
            text += piece(vocab, best);
            n_gen++;
            if (!a.stop_text.empty() && text.find(a.stop_text) != std::string::npos) {
                break;
            }
            if (llama_decode(ctx, llama_batch_get_one(&best, 1)) != 0) {
                throw std::runtime_error("decode failed");
            }
        }
        emit({ { "type", "prediction" }, { "index", i }, { "text", text }, { "tokens", out } });
    }
    emit({ { "type", "done" }, { "predictions", toks.size() }, { "generated_tokens", n_gen }, { "seconds", now_s() - t0 } });
    llama_free(ctx);
    llama_model_free(model);
    return g_stop ? EXIT_CANCELLED : 0;
}

int cmd_tokenize(const Args & a) {
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only         = true;
    llama_model * model   = llama_model_load_from_file(a.model.c_str(), mp);
    if (!model) {
        throw std::runtime_error("could not load the vocabulary of " + a.model);
    }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    json                ids = json::array(), pieces = json::array();
    for (llama_token t : tokenize(vocab, a.text, true)) {
        ids.push_back(t);
        pieces.push_back(llama_vocab_get_text(vocab, t));
    }
    emit({ { "type", "tokens" }, { "ids", ids }, { "pieces", pieces } });
    llama_model_free(model);
    return 0;
}

}  // namespace

int main(int argc, char ** argv) {
    std::setlocale(LC_NUMERIC, "C");
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    llama_log_set(log_cb, nullptr);
    try {
        const Args a = parse_args(argc, argv);
        if (a.cmd == "inspect") {
            json j = json{ { "type", "model" } };
            j.update(model_json(inspect_model(a.model)));
            if (a.checksum) {
                j["checksums"] = tensor_checksums(a.model);
            }
            emit(j);
            return 0;
        }
        llama_backend_init();
        int rc = 0;
        if (a.cmd == "train") {
            rc = cmd_train(a);
        } else if (a.cmd == "eval") {
            rc = cmd_eval(a);
        } else if (a.cmd == "tokenize") {
            rc = cmd_tokenize(a);
        } else {
            usage_error("unknown command " + a.cmd);
        }
        llama_backend_free();
        return rc;
    } catch (const refused & e) {
        fprintf(stderr, "tw-sft: %s\n", e.what());
        emit({ { "type", "error" }, { "kind", "refused" }, { "message", e.what() } });
        return EXIT_REFUSED;
    } catch (const std::exception & e) {
        fprintf(stderr, "tw-sft: error: %s\n", e.what());
        emit({ { "type", "error" }, { "kind", "error" }, { "message", e.what() } });
        return EXIT_ERROR;
    }
}
