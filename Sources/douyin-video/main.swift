import DouyinCore
import VideoService

await ServiceMain.run(.video, VideoService.run(config:))
