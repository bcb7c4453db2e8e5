#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>

// Function-like macros do not import into Swift.
static inline int douyin_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int douyin_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t douyin_av_nopts_value(void) { return AV_NOPTS_VALUE; }
