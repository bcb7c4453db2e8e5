import DouyinCore
import ChatService

await ServiceMain.run(.chat, ChatService.run(config:))
