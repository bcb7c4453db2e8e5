import DouyinHost
import VideoService

await ServiceMain.run(.video, VideoService.run(config:))
